// Pods that cannot get their image end a wait at once, naming the image, the node, the kubelet's
// message and the remedy; a scenario that deploys a bad image on purpose can say so.
import { describe, expect, test } from 'vitest'
import { createClients } from '../../lib/api.js'
import { deploymentRolledOut } from '../../lib/conditions.js'
import { ImagePullError, pullFailuresOf, pullRemedy } from '../../lib/image-pulls.js'
import { WaitTimeoutError, waitFor, type ObservedObject } from '../../lib/wait.js'
import { startFakeApiServer } from './fake-api-server.js'

const MESSAGE = 'failed to pull and unpack image "docker.io/library/myapp:dev": failed to resolve reference "docker.io/library/myapp:dev": dial tcp: lookup registry-1.docker.io: no such host'

const pod = (name: string, waiting?: { reason: string; message?: string }, extra: Partial<ObservedObject['metadata']> = {}): ObservedObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'ns', uid: name, resourceVersion: '5', ...extra },
  spec: { nodeName: 'worker-1', containers: [{ name: 'app', image: 'myapp:dev' }] },
  status: { phase: 'Pending', containerStatuses: [{ name: 'app', image: 'docker.io/library/myapp:dev', state: waiting ? { waiting } : { running: {} } }] },
})

describe('image pull failures', () => {
  test('a container waiting on ErrImagePull, ImagePullBackOff or InvalidImageName is one; ContainerCreating is not', () => {
    expect(pullFailuresOf(pod('a', { reason: 'ErrImagePull', message: MESSAGE }))).toEqual([
      { pod: 'a', container: 'app', image: 'myapp:dev', node: 'worker-1', reason: 'ErrImagePull', message: MESSAGE },
    ])
    expect(pullFailuresOf(pod('b', { reason: 'ImagePullBackOff' }))[0]?.reason).toBe('ImagePullBackOff')
    expect(pullFailuresOf(pod('c', { reason: 'InvalidImageName' }))[0]?.reason).toBe('InvalidImageName')
    expect(pullFailuresOf(pod('d', { reason: 'ContainerCreating' }))).toEqual([])
    expect(pullFailuresOf(pod('e'))).toEqual([])
  })

  test('the error names image, pod, node, message and the remedy; an offline cluster also says what it holds', () => {
    const [failure] = pullFailuresOf(pod('web-1', { reason: 'ErrImagePull', message: MESSAGE }))
    const error = new ImagePullError([failure!], 'deployment web has rolled out', ['nginx:1.27', 'busybox:1.36'])
    expect(error.message).toBe(
      [
        'image myapp:dev cannot be pulled, while waiting until deployment web has rolled out:',
        `  pod web-1 container app on node worker-1: ErrImagePull: ${MESSAGE}`,
        'remedy for myapp:dev: build it on this machine and load it into the cluster: `kube-scenarios load myapp:dev`, or name it in `images:` of kubeScenarios() or useScenario() (loaded before the first test); this cluster pulls nothing, it holds only busybox:1.36, nginx:1.27',
      ].join('\n'),
    )
    expect(pullRemedy('x:1')).not.toMatch(/holds only/)
  })

  /** A scripted API server: Deployment web never ready; its pod starts to fail its pull after 100 ms. */
  async function apiServer() {
    const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'ns', uid: 'd', resourceVersion: '5', generation: 1 }, spec: { replicas: 1 }, status: {} }
    return startFakeApiServer((req, res) => {
      const url = new URL(req.url ?? '/', 'https://fake')
      if (url.pathname === '/api/v1') return void res.end(JSON.stringify({ resources: [{ name: 'pods', kind: 'Pod', namespaced: true }] }))
      if (url.pathname === '/apis/apps/v1') return void res.end(JSON.stringify({ resources: [{ name: 'deployments', kind: 'Deployment', namespaced: true }] }))
      const isPods = url.pathname.endsWith('/pods')
      if (url.searchParams.get('watch')) {
        res.writeHead(200, { 'content-type': 'application/json' }).flushHeaders()
        if (isPods) setTimeout(() => res.write(`${JSON.stringify({ type: 'MODIFIED', object: pod('web-1', { reason: 'ErrImagePull', message: MESSAGE }) })}\n`), 100)
        return
      }
      const items = isPods ? [pod('web-1', { reason: 'ContainerCreating' }), pod('old', { reason: 'ImagePullBackOff' }, { deletionTimestamp: '2026-12-04T00:00:00Z' })] : [deployment]
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ items, metadata: { resourceVersion: '5' } }))
    })
  }

  test('a wait on a workload of the namespace ends within a second of the failure; one that expects it waits on', async () => {
    const server = await apiServer()
    try {
      const clients = createClients(server.kubeconfig)
      const started = Date.now()
      const failed = await waitFor(clients, deploymentRolledOut('ns', 'web'), { timeoutMs: 20_000 }).catch((e: unknown) => e)
      expect(failed).toBeInstanceOf(ImagePullError)
      expect((failed as ImagePullError).failures.map((f) => f.pod)).toEqual(['web-1'])
      expect(Date.now() - started).toBeLessThan(5_000)
      await expect(waitFor(clients, deploymentRolledOut('ns', 'web'), { timeoutMs: 1_000, expectImagePullFailures: true })).rejects.toThrow(WaitTimeoutError)
    } finally {
      server.close()
    }
  })
})

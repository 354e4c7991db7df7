// Pods that cannot get their image end a wait at once, naming the image, the node, the kubelet's
// message and the remedy; a scenario that deploys a bad image on purpose can say so.
import { describe, expect, test } from 'vitest'
import { createClients } from '../../lib/api/client.js'
import { deploymentRolledOut } from '../../lib/workloads/conditions.js'
import { ImagePullError, normalizeImage, pullFailuresOf, pullRemedy } from '../../lib/observe/image-pulls.js'
import { WaitTimeoutError, waitFor } from '../../lib/observe/wait.js'
import { type ObservedObject } from '../../lib/observe/watch.js'
import { startFakeApiServer } from './fake-api-server.js'

const MESSAGE = 'failed to pull and unpack image "docker.io/library/myapp:dev": failed to resolve reference "docker.io/library/myapp:dev": dial tcp: lookup registry-1.docker.io: no such host'

// The kubelet's message on the offline cluster (v1.34.4, containerd 2) for an untagged image that
// was loaded into the node, its pod with no imagePullPolicy (the API server made it Always);
// recorded by scenarios/your-image.test.ts.
const LATEST_MESSAGE =
  'failed to pull and unpack image "docker.io/kube-scenarios-example/own-app-latest:latest": failed to resolve image: failed to do request: Head "https://registry-1.docker.io/v2/kube-scenarios-example/own-app-latest/manifests/latest": dial tcp: lookup registry-1.docker.io on 127.0.0.11:53: no such host'

const pod = (name: string, waiting?: { reason: string; message?: string }, extra: Partial<ObservedObject['metadata']> = {}, container: { image: string; imagePullPolicy?: string } = { image: 'myapp:dev', imagePullPolicy: 'IfNotPresent' }): ObservedObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'ns', uid: name, resourceVersion: '5', ...extra },
  spec: { nodeName: 'worker-1', containers: [{ name: 'app', ...container }] },
  status: { phase: 'Pending', containerStatuses: [{ name: 'app', image: normalizeImage(container.image), state: waiting ? { waiting } : { running: {} } }] },
})

describe('image pull failures', () => {
  test('a container waiting on ErrImagePull, ImagePullBackOff or InvalidImageName is one; ContainerCreating is not', () => {
    expect(pullFailuresOf(pod('a', { reason: 'ErrImagePull', message: MESSAGE }))).toEqual([
      { pod: 'a', container: 'app', image: 'myapp:dev', pullPolicy: 'IfNotPresent', node: 'worker-1', reason: 'ErrImagePull', message: MESSAGE },
    ])
    expect(pullFailuresOf(pod('b', { reason: 'ImagePullBackOff' }))[0]?.reason).toBe('ImagePullBackOff')
    expect(pullFailuresOf(pod('c', { reason: 'InvalidImageName' }))[0]?.reason).toBe('InvalidImageName')
    expect(pullFailuresOf(pod('d', { reason: 'ContainerCreating' }))).toEqual([])
    expect(pullFailuresOf(pod('e'))).toEqual([])
  })

  test('the error names image, pod, node, message and the remedy; an offline cluster also says what it holds', () => {
    const [failure] = pullFailuresOf(pod('web-1', { reason: 'ErrImagePull', message: MESSAGE }))
    const error = new ImagePullError([failure!], 'deployment web has rolled out', { overrides: { 'nginx:1.27': 'localhost/kube-scenarios/nginx:1.27', 'busybox:1.36': 'localhost/kube-scenarios/busybox:1.36' } })
    expect(error.message).toBe(
      [
        'image myapp:dev cannot be pulled, while waiting until deployment web has rolled out:',
        `  pod web-1 container app on node worker-1: ErrImagePull: ${MESSAGE}`,
        'remedy for myapp:dev: build it on this machine and load it into the cluster: `kube-scenarios load myapp:dev`, or name it in `images:` of kubeScenarios() or useScenario() (loaded before the first test); this cluster pulls nothing, it holds only busybox:1.36, nginx:1.27',
      ].join('\n'),
    )
    expect(pullRemedy({ image: 'x:1', container: 'app', reason: 'ErrImagePull' })).not.toMatch(/holds only/)
  })

  describe('an image the nodes hold names the real cause, from the kubelet\'s messages', () => {
    const untagged = 'kube-scenarios-example/own-app-latest'
    const failureOf = (image: string, imagePullPolicy: string | undefined, reason = 'ErrImagePull', message = LATEST_MESSAGE) =>
      pullFailuresOf(pod('p', { reason, message }, {}, { image, ...(imagePullPolicy ? { imagePullPolicy } : {}) }))

    test('loaded, untagged or :latest, pull policy Always: the policy and both remedies, no "load it"', () => {
      for (const image of [untagged, `${untagged}:latest`, `docker.io/${untagged}:latest`]) {
        const message = new ImagePullError(failureOf(image, 'Always'), 'pod p is Ready', { loaded: [`${untagged}:latest`] }).message
        expect(message).toContain(`remedy for ${image}: it is in the nodes (loaded into the nodes), but container app has imagePullPolicy Always (the default for an image tagged \`:latest\` or with no tag)`)
        expect(message).toContain('set `imagePullPolicy: IfNotPresent`, or give it a tag other than latest')
        expect(message).not.toContain('kube-scenarios load')
      }
    })

    test('the back-off that follows names the same cause', () => {
      const backOff = `Back-off pulling image "${untagged}": ErrImagePull: ${LATEST_MESSAGE}`
      expect(new ImagePullError(failureOf(untagged, 'Always', 'ImagePullBackOff', backOff), 'pod p is Ready', { loaded: [untagged] }).message).toContain('imagePullPolicy Always')
    })

    test('tagged, Always set by hand: the policy without the :latest default', () => {
      const remedy = pullRemedy(failureOf('myapp:dev', 'Always')[0]!, { reported: ['docker.io/library/myapp:dev', 'sha256:0123'] })
      expect(remedy).toBe('it is in the nodes (reported by the nodes), but container app has imagePullPolicy Always: the kubelet pulls it from its registry on every start instead of using it; set `imagePullPolicy: IfNotPresent`')
    })

    test("held by the offline cluster under its own name, or asked for by the upstream name it replaces", () => {
      const overrides = { 'busybox:1.36': 'localhost/kube-scenarios/busybox:1.36' }
      expect(pullRemedy(failureOf('localhost/kube-scenarios/busybox:1.36', 'Always')[0]!, { overrides })).toContain('it is in the nodes (held by the offline cluster), but container app has imagePullPolicy Always:')
      expect(pullRemedy(failureOf('busybox:1.36', 'IfNotPresent')[0]!, { overrides })).toBe(
        'this cluster holds it as localhost/kube-scenarios/busybox:1.36 and pulls nothing: objects applied with s.apply or s.applyObjects get that name; one created otherwise must name localhost/kube-scenarios/busybox:1.36',
      )
    })

    test('asked for by a digest the held image does not have: a digest mismatch', () => {
      const digest = 'sha256:' + 'a'.repeat(64)
      const message = `failed to pull and unpack image "docker.io/kube-scenarios-example/own-app@${digest}": failed to resolve image: failed to do request: Head "https://registry-1.docker.io/v2/kube-scenarios-example/own-app/manifests/${digest}": dial tcp: lookup registry-1.docker.io on 127.0.0.11:53: no such host`
      const remedy = pullRemedy(failureOf(`kube-scenarios-example/own-app@${digest}`, 'IfNotPresent', 'ErrImagePull', message)[0]!, { loaded: ['kube-scenarios-example/own-app:dev'] })
      expect(remedy).toContain(`the nodes hold kube-scenarios-example/own-app (loaded into the nodes), but under another digest than ${digest}: the digest mismatches`)
    })

    test('not there at all, or never to be pulled: load it', () => {
      expect(pullRemedy(failureOf(untagged, 'Always')[0]!, { loaded: ['other:dev'] })).toMatch(/^build it on this machine and load it/)
      const never = failureOf(untagged, 'Never', 'ErrImageNeverPull', `Container image "${untagged}" is not present with pull policy of Never`)[0]!
      expect(pullRemedy(never, { loaded: [untagged] })).toMatch(/^build it on this machine and load it/)
    })

    test('references compare as the runtime names them', () => {
      expect(normalizeImage('myapp')).toBe('docker.io/library/myapp:latest')
      expect(normalizeImage('team/app:1')).toBe('docker.io/team/app:1')
      expect(normalizeImage('localhost:5000/app')).toBe('localhost:5000/app:latest')
      expect(normalizeImage('registry.k8s.io/pause:3.10')).toBe('registry.k8s.io/pause:3.10')
    })
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
    // Bounded by its own claims above (named within 5 s); vitest's default 5 s for the whole test,
    // its TLS key generation included, was too short on a machine busy with two suites.
  }, 30_000)
})

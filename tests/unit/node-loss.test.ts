// How a lost node is recognised and named: the run's annotation after its container exited, or
// the node controller's Ready=Unknown; and how a container's exit is described.
import { describe, expect, test } from 'vitest'
import { exitReason } from '../../lib/cluster/node-monitor.js'
import { NODE_LOST_ANNOTATION, NodeLostError, describeLoss, lossOf } from '../../lib/observe/node-loss.js'
import { createClients } from '../../lib/api/client.js'
import { podsReady } from '../../lib/workloads/conditions.js'
import { WaitTimeoutError, waitFor } from '../../lib/observe/wait.js'
import { type ObservedObject } from '../../lib/observe/watch.js'
import { startFakeApiServer } from './fake-api-server.js'

const node = (name: string, extra: { annotations?: Record<string, string>; ready?: { status: string; message?: string; lastTransitionTime?: string } }): ObservedObject => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name, uid: name, resourceVersion: '1', annotations: extra.annotations },
  status: { conditions: extra.ready ? [{ type: 'Ready', ...extra.ready }] : [] },
})

describe('node loss', () => {
  test('a container exit is described with its signal, and out of memory when Docker said so', () => {
    expect(exitReason('137', false)).toBe('container exited: exit code 137 (SIGKILL)')
    expect(exitReason('143', false)).toBe('container exited: exit code 143 (SIGTERM)')
    expect(exitReason('1', false)).toBe('container exited: exit code 1')
    expect(exitReason('137', true)).toBe('container exited: exit code 137 (SIGKILL), out of memory')
  })

  test('the run\'s annotation names the time and reason; Ready=Unknown is a loss; Ready=False (a node still joining) is not', () => {
    const annotated = node('w1', { annotations: { [NODE_LOST_ANNOTATION]: JSON.stringify({ at: '2026-12-02T21:40:02.123Z', reason: 'container exited: exit code 137 (SIGKILL)' }) }, ready: { status: 'True' } })
    expect(describeLoss(lossOf(annotated)!)).toBe('node w1 lost at 21:40:02.123 (container exited: exit code 137 (SIGKILL))')
    const silent = node('w2', { ready: { status: 'Unknown', message: 'Kubelet stopped posting node status.', lastTransitionTime: '2026-12-02T21:41:00Z' } })
    expect(describeLoss(lossOf(silent)!)).toBe('node w2 lost at 21:41:00.000 (NotReady: Kubelet stopped posting node status.)')
    expect(lossOf(node('w3', { ready: { status: 'False', message: 'container runtime network not ready' } }))).toBeUndefined()
    expect(lossOf(node('w4', { ready: { status: 'True' } }))).toBeUndefined()
  })

  test('the wait\'s error says what was lost, what was awaited and which of its pods ran there', () => {
    const error = new NodeLostError({ node: 'w1', at: Date.parse('2026-12-02T21:40:02.123Z'), reason: 'container exited: exit code 137 (SIGKILL)' }, 'exactly 3 pods matching app=web are Ready', ['web-1', 'web-2'])
    expect(error.message).toBe('node w1 lost at 21:40:02.123 (container exited: exit code 137 (SIGKILL)) while waiting until exactly 3 pods matching app=web are Ready; its pods there: web-1, web-2')
  })
})

describe('a wait when a node is lost', () => {
  const pod = (name: string, nodeName: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'ns', uid: name, resourceVersion: '5' }, spec: { nodeName }, status: { phase: 'Running' } })
  const lostAnnotation = JSON.stringify({ at: '2026-12-02T21:40:02.123Z', reason: 'container exited: exit code 137 (SIGKILL)' })

  /** A scripted API server: pods on w1 and w2, and a Node watch that reports `lost` annotated after 100 ms. */
  async function apiServer(lost: string) {
    const nodes = [node('w1', { ready: { status: 'True' } }), node('w2', { ready: { status: 'True' } })]
    return startFakeApiServer((req, res) => {
      const url = new URL(req.url ?? '/', 'https://fake')
      if (url.pathname === '/api/v1') return void res.end(JSON.stringify({ resources: [{ name: 'pods', kind: 'Pod', namespaced: true }, { name: 'nodes', kind: 'Node', namespaced: false }] }))
      const isNodes = url.pathname === '/api/v1/nodes'
      if (url.searchParams.get('watch')) {
        res.writeHead(200, { 'content-type': 'application/json' }).flushHeaders()
        if (isNodes) {
          setTimeout(() => res.write(`${JSON.stringify({ type: 'MODIFIED', object: node(lost, { annotations: { [NODE_LOST_ANNOTATION]: lostAnnotation }, ready: { status: 'True' } }) })}\n`), 100)
        }
        return
      }
      if (isNodes) return void res.end(JSON.stringify({ items: nodes, metadata: { resourceVersion: '5' } }))
      const onNode = /spec\.nodeName=(\w+)/.exec(url.searchParams.get('fieldSelector') ?? '')?.[1]
      const pods = [pod('web-1', 'w1'), pod('web-2', 'w1')].filter((p) => !onNode || p.spec.nodeName === onNode)
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'PodList', apiVersion: 'v1', items: pods, metadata: { resourceVersion: '5' } }))
    })
  }

  test('one on pods of the lost node ends at once with NodeLostError; one on pods elsewhere waits on', async () => {
    const server = await apiServer('w1')
    try {
      const clients = createClients(server.kubeconfig)
      const started = Date.now()
      await expect(waitFor(clients, podsReady('ns', 'app=web', 3), { timeoutMs: 20_000 })).rejects.toThrow(
        /^node w1 lost at 21:40:02\.123 \(container exited: exit code 137 \(SIGKILL\)\) while waiting until exactly 3 pods matching app=web are Ready and no other pod remains; its pods there: web-1, web-2$/,
      )
      expect(Date.now() - started).toBeLessThan(5_000)
    } finally {
      server.close()
    }
    const elsewhere = await apiServer('w2')
    try {
      await expect(waitFor(createClients(elsewhere.kubeconfig), podsReady('ns', 'app=web', 3), { timeoutMs: 1_500 })).rejects.toThrow(WaitTimeoutError)
    } finally {
      elsewhere.close()
    }
  }, 30_000)
})

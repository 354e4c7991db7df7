// After a scenario file, its namespace's pods are awaited (so the cluster's load stays honest for
// the files still running); when they do not go in time, one warning line names the namespace
// and what was left, and the run goes on.
import { describe, expect, test } from 'vitest'
import { createClients } from '../../lib/api/client.js'
import { awaitPodsGone } from '../../lib/scenario/scenario.js'
import { startFakeApiServer } from './fake-api-server.js'

const STUCK = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'stuck-1', namespace: 'files-ns', uid: 'u', resourceVersion: '5', deletionTimestamp: '2026-12-05T00:00:00Z' } }

/** A scripted API server whose namespace keeps `pods` forever (or goes empty after `goneAfterMs`). */
async function apiServer(pods: object[], goneAfterMs?: number) {
  return startFakeApiServer((req, res) => {
    const url = new URL(req.url ?? '/', 'https://fake')
    if (url.pathname === '/api/v1') return void res.end(JSON.stringify({ resources: [{ name: 'pods', kind: 'Pod', namespaced: true }] }))
    if (url.searchParams.get('watch')) {
      res.writeHead(200, { 'content-type': 'application/json' }).flushHeaders()
      if (goneAfterMs !== undefined) setTimeout(() => pods.forEach((pod) => res.write(`${JSON.stringify({ type: 'DELETED', object: pod })}\n`)), goneAfterMs)
      return
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ items: pods, metadata: { resourceVersion: '5' } }))
  })
}

// A scripted TLS server per test (its key generated then) and a wait of seconds: more than vitest's default 5 s on a busy machine.
describe('the namespace cleanup wait', { timeout: 30_000 }, () => {
  test('pods still there at its timeout: one warning line naming the namespace and what was left', async () => {
    const server = await apiServer([STUCK])
    try {
      const warnings: string[] = []
      // Long enough for the first list on a busy machine (the pod must have been seen to be named).
      await awaitPodsGone(createClients(server.kubeconfig), 'files-ns', 3_000, (line) => warnings.push(line))
      expect(warnings).toEqual(['namespace files-ns: Pod/stuck-1 (terminating) still there 3 s after its file ended (timeouts namespaceGone); the run goes on'])
    } finally {
      server.close()
    }
  })

  test('pods that go in time: no warning', async () => {
    const server = await apiServer([STUCK], 50)
    try {
      const warnings: string[] = []
      await awaitPodsGone(createClients(server.kubeconfig), 'files-ns', 20_000, (line) => warnings.push(line))
      expect(warnings).toEqual([])
    } finally {
      server.close()
    }
  })
})

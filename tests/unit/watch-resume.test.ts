// watchObjects against a scripted API server (TLS on loopback): the initial list arrives whole,
// a watch that ends resumes from the last resourceVersion without a gap, and only an expired
// version (410) makes it re-list and report a gap. WatchHistory refuses to decide after a gap.
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest'
import { createClients } from '../../lib/api/client.js'
import { ObservationGapError, watchObjects, type ObservationGap, type ObservedObject } from '../../lib/observe/watch.js'
import { WatchHistory } from '../../lib/observe/watch-history.js'
import { startFakeApiServer, type FakeApiServer } from './fake-api-server.js'

const pod = (name: string, resourceVersion: string, phase = 'Pending') =>
  ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'ns', uid: `uid-${name}`, resourceVersion }, status: { phase } }) as ObservedObject

/** What the fake API server does with each watch request, in order; a list answers `listed`. */
type WatchScript = (res: import('node:http').ServerResponse) => void
const send = (res: import('node:http').ServerResponse, type: string, object: unknown) => res.write(`${JSON.stringify({ type, object })}\n`)

let server: FakeApiServer
const watchRequests: string[] = []
let listRequests = 0
let listed: ObservedObject[] = []
let listVersion = '10'
let scripts: WatchScript[] = []

beforeAll(async () => {
  server = await startFakeApiServer((req, res) => {
    const requested = new URL(req.url ?? '/', 'https://fake')
    if (requested.pathname === '/api/v1') return void res.end(JSON.stringify({ resources: [{ name: 'pods', kind: 'Pod', namespaced: true }] }))
    if (requested.searchParams.get('watch')) {
      watchRequests.push(requested.searchParams.get('resourceVersion') ?? '')
      res.writeHead(200, { 'content-type': 'application/json' })
      const script = scripts.shift()
      if (script) script(res) // otherwise the watch stays open until the test ends
      return
    }
    listRequests++
    res.end(JSON.stringify({ items: listed, metadata: { resourceVersion: listVersion } }))
  })
})

afterAll(() => server.close())

describe('watchObjects', () => {
  test('lists whole, resumes from the last version after a watch ends, and reports a gap only when it must re-list', async () => {
    watchRequests.length = 0
    listRequests = 0
    listed = [pod('a', '9'), pod('b', '10')]
    listVersion = '10'
    scripts = [
      // The first watch delivers a change and ends (as the API server's watch timeout does).
      (res) => {
        send(res, 'MODIFIED', pod('a', '11', 'Running'))
        send(res, 'BOOKMARK', { kind: 'Pod', metadata: { resourceVersion: '12' } })
        res.end()
      },
      // Resumed from 12, which has meanwhile expired.
      (res) => {
        send(res, 'ERROR', { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version' })
        res.end()
      },
    ]
    const calls: string[] = []
    const gaps: ObservationGap[] = []
    const handle = await watchObjects(createClients(server.kubeconfig), { apiVersion: 'v1', kind: 'Pod', namespace: 'ns' }, {
      onListed: (objects) => calls.push(`listed ${objects.map((o) => o.metadata.name).join(',')}`),
      onChange: (objects, type, object) => calls.push(`${type} ${object.metadata.name} (${objects.length})`),
      onGap: (gap) => gaps.push(gap),
    })
    try {
      expect(calls[0]).toBe('listed a,b')
      // The re-list after the gap finds b gone and c new: delivered as changes after the gap.
      listed = [pod('a', '11', 'Running'), pod('c', '20')]
      listVersion = '20'
      await vi.waitFor(() => expect(watchRequests).toEqual(['10', '12', '20']), { timeout: 5000 })
      expect(listRequests).toBe(2)
      expect(calls).toEqual(['listed a,b', 'MODIFIED a (2)', 'ADDED c (3)', 'DELETED b (2)'])
      expect(gaps).toHaveLength(1)
      expect(gaps[0]!.selection).toBe('Pods in ns')
      expect(gaps[0]!.to).toBeGreaterThanOrEqual(gaps[0]!.from)
      expect(handle.objects().map((o) => o.metadata.name).sort()).toEqual(['a', 'c'])
    } finally {
      handle.stop()
    }
  })
})

describe('WatchHistory after a gap', () => {
  test('refuses to decide an ordering claim, even one its events would satisfy', async () => {
    const history = new WatchHistory(() => 0)
    history.record([], 'ADDED', pod('a', '1'))
    history.gap({ selection: 'Jobs in ns', from: 1, to: 2 })
    history.record([], 'ADDED', pod('b', '3'))
    await expect(history.until('a then b were created', (events) => (events.length === 2 ? true : undefined))).rejects.toThrow(ObservationGapError)
    await expect(history.until('anything', () => true)).rejects.toThrow(/undecided.*Jobs in ns/s)
  })
})

// Forensics on failure from a scripted API server: the namespace as YAML without managedFields,
// its events in time order, every container's log and the previous one of a restarted container,
// the Nodes without their image lists, the cluster's Warning events; a provider whose nodes are
// not read says so; a collection that outlasts its budget says what was cut.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { createClients } from '../../lib/api/client.js'
import { collectForensics, untar } from '../../lib/report/forensics.js'
import { startFakeApiServer } from './fake-api-server.js'

const work = mkdtempSync(path.join(tmpdir(), 'ks-forensics-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

const managed = { managedFields: [{ manager: 'kubectl' }] }
const POD = {
  metadata: { name: 'web-1', namespace: 'ns', ...managed },
  spec: { containers: [{ name: 'app' }] },
  status: { containerStatuses: [{ name: 'app', restartCount: 3, lastState: { terminated: { exitCode: 1 } } }] },
}
const event = (at: string, reason: string, type = 'Warning') => ({ metadata: { name: reason, namespace: 'ns' }, type, reason, lastTimestamp: at, involvedObject: { kind: 'Pod', name: 'web-1', namespace: 'ns' }, message: `${reason} happened`, count: 2 })

async function apiServer(delayMs = 0) {
  return startFakeApiServer((req, res) => {
    const url = new URL(req.url ?? '/', 'https://fake')
    const list = (kind: string, items: unknown[]) => setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ apiVersion: 'v1', kind: `${kind}List`, items })), delayMs)
    if (url.pathname === '/api/v1/namespaces/ns/pods/web-1/log') return void res.writeHead(200, { 'content-type': 'text/plain' }).end(url.searchParams.get('previous') === 'true' ? 'panic: the last run\n' : 'starting\n')
    if (url.pathname === '/api/v1/namespaces/ns/pods') return list('Pod', [POD])
    if (url.pathname === '/api/v1/namespaces/ns/events') return list('Event', [event('2026-12-05T10:00:02Z', 'BackOff'), event('2026-12-05T10:00:01.500000Z', 'Pulled', 'Normal')])
    if (url.pathname === '/api/v1/events') return list('Event', [event('2026-12-05T10:00:02Z', 'BackOff')])
    if (url.pathname === '/api/v1/nodes') return list('Node', [{ metadata: { name: 'node-1', ...managed }, spec: { taints: [{ key: 'k', effect: 'NoSchedule' }] }, status: { conditions: [{ type: 'Ready', status: 'True' }], images: [{ names: ['big'] }] } }])
    return list('Thing', [])
  })
}

// A scripted TLS server per test (its key generated then): more than vitest's default 5 s on a busy machine.
describe('forensics on failure', { timeout: 30_000 }, () => {
  test('what is collected, and how it reads', async () => {
    const server = await apiServer()
    try {
      const report = await collectForensics({ clients: createClients(server.kubeconfig), cluster: { provider: 'k3s', runId: 'r' }, namespace: 'ns', runFolder: work, name: 'recipe-T1', budgetMs: 10_000 })
      const dir = path.join(work, 'forensics', 'recipe-T1')
      expect(report.dir).toBe(path.join('forensics', 'recipe-T1'))
      expect(report.files).toEqual(['cluster-warnings.txt', 'events.txt', 'logs/web-1.app.log', 'logs/web-1.app.previous.log', 'namespace.yaml', 'nodes.yaml'])
      expect(report.notes).toEqual(['no node component logs: the k3s provider\'s nodes are not read here (only what the API gives)'])
      const namespace = readFileSync(path.join(dir, 'namespace.yaml'), 'utf8')
      expect(namespace).toMatch(/^apiVersion: v1\nkind: Pod\nmetadata:\n  name: web-1/)
      expect(namespace).not.toContain('managedFields')
      expect(readFileSync(path.join(dir, 'events.txt'), 'utf8')).toBe(
        '2026-12-05T10:00:01.500000Z Normal Pulled ns/Pod/web-1: Pulled happened (x2)\n2026-12-05T10:00:02Z Warning BackOff ns/Pod/web-1: BackOff happened (x2)\n',
      )
      expect(readFileSync(path.join(dir, 'logs/web-1.app.previous.log'), 'utf8')).toBe('panic: the last run\n')
      const nodes = readFileSync(path.join(dir, 'nodes.yaml'), 'utf8')
      expect(nodes).toContain('type: Ready')
      expect(nodes).toContain('effect: NoSchedule')
      expect(nodes).not.toContain('big')
      expect(nodes).not.toContain('managedFields')
      expect(readFileSync(path.join(dir, 'forensics.txt'), 'utf8')).toMatch(/^collected in \d+ ms, \d+ bytes:/)
    } finally {
      server.close()
    }
  })

  test('a cluster slower than the budget: what was not done is named as cut, and nothing throws', async () => {
    const server = await apiServer(2_000)
    try {
      const started = Date.now()
      const report = await collectForensics({ clients: createClients(server.kubeconfig), cluster: { provider: 'kubeconfig', runId: 'r' }, namespace: 'ns', runFolder: work, name: 'slow', budgetMs: 300 })
      expect(Date.now() - started).toBeLessThan(1_500)
      expect(report.notes).toContain('pod logs: cut, not done within the 0.3 s budget (timeouts forensics)')
      expect(existsSync(path.join(work, 'forensics', 'slow', 'forensics.txt'))).toBe(true)
    } finally {
      server.close()
    }
  })
})

test("the report's failed test links each collected file and shows the kubelet's lines, escaped", async () => {
  const { renderTest } = await import('../../lib/report/render-test.js')
  const html = renderTest(
    {
      id: 'T1', key: 'T1', name: 'T1 fails', status: 'failed', durationMs: 1000, steps: [], timeline: [], errors: [{ message: 'boom' }],
      forensics: { dir: 'forensics/recipe-T1', files: ['events.txt', 'nodes/n1/kubelet.log'], bytes: 174_000, ms: 2100, notes: ['pod logs: cut'], kubeletExcerpt: 'n1:\nE1205 "<pod>" failed' },
    },
    [],
  )
  expect(html).toContain('<a href="forensics/recipe-T1/events.txt">events.txt</a>')
  expect(html).toContain('<a href="forensics/recipe-T1/nodes/n1/kubelet.log">nodes/n1/kubelet.log</a>')
  expect(html).toContain('(forensics/recipe-T1, 174 kB in 2.1 s)')
  expect(html).toContain('<li>pod logs: cut</li>')
  expect(html).toContain('E1205 &quot;&lt;pod&gt;&quot; failed')
})

test('the node logs arrive as one tar per node: its regular files and their text', () => {
  const dir = mkdtempSync(path.join(work, 'tar-'))
  mkdirSync(path.join(dir, 'logs'))
  writeFileSync(path.join(dir, 'logs', 'kubelet.log'), 'I1205 "x"\n'.repeat(200))
  writeFileSync(path.join(dir, 'logs', 'etcd.log'), '')
  const archive = execFileSync('tar', ['-C', path.join(dir, 'logs'), '-cf', '-', '.'])
  expect(new Map(untar(archive))).toEqual(new Map([['kubelet.log', 'I1205 "x"\n'.repeat(200)], ['etcd.log', '']]))
})

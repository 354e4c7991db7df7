// Forensics on failure: when a scenario test fails, what is needed to understand it goes into the
// run's report folder before its namespace is deleted (as `kind export logs` and Chainsaw's
// catch collectors do): the namespace's objects as YAML, its events in time order, every pod's
// current and previous container logs, the Nodes with conditions and taints, the cluster's
// Warning events and, on the offline cluster, the node containers' component logs. Bounded in
// time (the `forensics` timeout) and size; what was cut is said; a collector never throws.
import { execFile } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import path from 'node:path'
import { promisify } from 'node:util'
import { stringify } from 'yaml'
import { NODE_LABEL, RUN_LABEL } from '#images/lib/cluster-constants.mjs'
import type { Clients } from '../api/client.js'
import type { ClusterInfo } from '../cluster/provider.js'
import type { ForensicsReport } from './model.js'

const run = promisify(execFile)

/** Bytes kept of each log (the end of it): a crash-looping container's log is what matters last. */
export const FORENSICS_LOG_BYTES = 512 * 1024
/** Lines of the kubelet's log about the namespace shown inline in the report. */
const KUBELET_EXCERPT_LINES = 30

/** The namespace's kinds worth reading after a failure (Secrets are left out on purpose). */
const NAMESPACED_KINDS = [
  '/api/v1/namespaces/{ns}/pods',
  '/api/v1/namespaces/{ns}/services',
  '/api/v1/namespaces/{ns}/endpoints',
  '/api/v1/namespaces/{ns}/configmaps',
  '/api/v1/namespaces/{ns}/persistentvolumeclaims',
  '/apis/apps/v1/namespaces/{ns}/deployments',
  '/apis/apps/v1/namespaces/{ns}/replicasets',
  '/apis/apps/v1/namespaces/{ns}/statefulsets',
  '/apis/apps/v1/namespaces/{ns}/daemonsets',
  '/apis/batch/v1/namespaces/{ns}/jobs',
  '/apis/batch/v1/namespaces/{ns}/cronjobs',
  '/apis/autoscaling/v2/namespaces/{ns}/horizontalpodautoscalers',
  '/apis/networking.k8s.io/v1/namespaces/{ns}/ingresses',
  '/apis/networking.k8s.io/v1/namespaces/{ns}/networkpolicies',
  '/apis/policy/v1/namespaces/{ns}/poddisruptionbudgets',
]

export interface ForensicsRequest {
  clients: Clients
  cluster: Pick<ClusterInfo, 'provider' | 'runId'>
  namespace: string
  /** The run's report folder (reports/<run id>): the files go under its forensics/ folder. */
  runFolder: string
  /** The failed test's folder name inside forensics/ (its recipe and key). */
  name: string
  /** How long collecting may take in all; what is not done by then is listed as cut. */
  budgetMs: number
}

interface KubeItem {
  kind?: string
  metadata: { name: string; namespace?: string; creationTimestamp?: string; managedFields?: unknown }
  [field: string]: unknown
}

/** Collects into <runFolder>/forensics/<name>/ and returns what it wrote, for the report. */
export async function collectForensics(request: ForensicsRequest): Promise<ForensicsReport> {
  const started = Date.now()
  const dir = path.join('forensics', request.name)
  const folder = path.join(request.runFolder, dir)
  mkdirSync(folder, { recursive: true })
  const written = new Map<string, number>()
  const write = (file: string, content: string) => {
    mkdirSync(path.dirname(path.join(folder, file)), { recursive: true })
    writeFileSync(path.join(folder, file), content)
    written.set(file, Buffer.byteLength(content))
  }
  const notes: string[] = []
  let excerpt: string | undefined
  const { clients, namespace } = request
  const collectors: Array<[string, () => Promise<void>]> = [
    ['namespace objects', async () => write('namespace.yaml', await namespaceYaml(clients, namespace))],
    ['namespace events', async () => write('events.txt', formatEvents(await listItems(clients, `/api/v1/namespaces/${namespace}/events`)))],
    ['pod logs', () => podLogs(clients, namespace, write)],
    ['nodes', async () => write('nodes.yaml', nodesYaml(await listItems(clients, '/api/v1/nodes')))],
    ['cluster warning events', async () => write('cluster-warnings.txt', formatEvents(await listItems(clients, '/api/v1/events?fieldSelector=type%3DWarning')))],
    ...(request.cluster.provider === 'local'
      ? ([['node component logs', async () => void (excerpt = await nodeComponentLogs(request.cluster.runId, namespace, write))]] as Array<[string, () => Promise<void>]>)
      : []),
  ]
  if (request.cluster.provider !== 'local') notes.push(`no node component logs: the ${request.cluster.provider} provider's nodes are not read here (only what the API gives)`)
  const done = new Set<string>()
  const outcomes = collectors.map(([what, collect]) =>
    collect().then(
      () => void done.add(what),
      (error: unknown) => void notes.push(`${what}: could not be collected (${(error as Error)?.message ?? error})`),
    ),
  )
  const cancel = new AbortController()
  await Promise.race([Promise.all(outcomes), sleep(request.budgetMs, undefined, { signal: cancel.signal, ref: false }).catch(() => undefined)])
  cancel.abort()
  const cut = collectors.map(([what]) => what).filter((what) => !done.has(what) && !notes.some((n) => n.startsWith(`${what}:`)))
  for (const what of cut) notes.push(`${what}: cut, not done within the ${request.budgetMs / 1000} s budget (timeouts forensics)`)
  const files = [...written.keys()].sort()
  const report: ForensicsReport = {
    dir,
    files,
    bytes: [...written.values()].reduce((sum, n) => sum + n, 0),
    ms: Date.now() - started,
    notes,
    ...(excerpt ? { kubeletExcerpt: excerpt } : {}),
  }
  writeFileSync(path.join(folder, 'forensics.txt'), [`collected in ${report.ms} ms, ${report.bytes} bytes:`, ...files.map((f) => `  ${f}`), ...notes.map((n) => `note: ${n}`), ''].join('\n'))
  return report
}

/** The items of a list, each with the apiVersion and kind a list leaves out of its items. */
async function listItems(clients: Clients, apiPath: string): Promise<KubeItem[]> {
  const list = await clients.raw.request<{ apiVersion?: string; kind?: string; items?: KubeItem[] }>('GET', apiPath)
  const kind = list.kind?.replace(/List$/, '')
  return (list.items ?? []).map((item) => ({ apiVersion: list.apiVersion, kind, ...item }))
}

/** Every object of the namespace's kinds as YAML documents, managedFields dropped (noise for a reader). */
async function namespaceYaml(clients: Clients, namespace: string): Promise<string> {
  const lists = await Promise.all(
    NAMESPACED_KINDS.map((template) =>
      listItems(clients, template.replace('{ns}', namespace)).catch((error: Error) => [{ metadata: { name: `(${template.replace('{ns}', namespace)}: ${error.message})` } }] as KubeItem[]),
    ),
  )
  return lists
    .flat()
    .map((item) => stringify(withoutManagedFields(item)))
    .join('---\n')
}

function withoutManagedFields(item: KubeItem): KubeItem {
  const { managedFields: _dropped, ...metadata } = item.metadata
  return { ...item, metadata }
}

/** Events oldest first: "<time> <type> <reason> <kind>/<name>: <message> (xN)". */
export function formatEvents(events: readonly KubeItem[]): string {
  const at = (e: KubeItem) => String(e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp ?? '')
  // Compared as instants: the API writes some with microseconds and some without.
  return (
    [...events]
      .sort((a, b) => Date.parse(at(a)) - Date.parse(at(b)))
      .map((e) => {
        const object = e.involvedObject as { kind?: string; name?: string; namespace?: string } | undefined
        const count = typeof e.count === 'number' && e.count > 1 ? ` (x${e.count})` : ''
        return `${at(e)} ${String(e.type ?? '')} ${String(e.reason ?? '')} ${object?.namespace ? `${object.namespace}/` : ''}${object?.kind ?? '?'}/${object?.name ?? '?'}: ${String(e.message ?? '')}${count}`
      })
      .join('\n') + '\n'
  )
}

/** Nodes with their conditions and taints; the image lists (long, and in no way diagnostic here) dropped. */
function nodesYaml(nodes: readonly KubeItem[]): string {
  return nodes
    .map((node) => {
      const status = (node.status ?? {}) as Record<string, unknown>
      const { images: _images, ...rest } = status
      return stringify({ name: node.metadata.name, taints: (node.spec as { taints?: unknown } | undefined)?.taints ?? [], ...withoutManagedFields(node), status: rest })
    })
    .join('---\n')
}

/** Every container's log, and its previous run's where it restarted. */
async function podLogs(clients: Clients, namespace: string, write: (file: string, content: string) => void): Promise<void> {
  const pods = await listItems(clients, `/api/v1/namespaces/${namespace}/pods`)
  await Promise.all(
    pods.flatMap((pod) => {
      const spec = pod.spec as { initContainers?: Array<{ name: string }>; containers?: Array<{ name: string }> } | undefined
      const statuses = [...(((pod.status as { initContainerStatuses?: unknown[] })?.initContainerStatuses ?? []) as ContainerStatus[]), ...(((pod.status as { containerStatuses?: unknown[] })?.containerStatuses ?? []) as ContainerStatus[])]
      return [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])].flatMap(({ name: container }) => {
        const status = statuses.find((s) => s.name === container)
        const runs = [false, ...((status?.restartCount ?? 0) > 0 || status?.lastState?.terminated ? [true] : [])]
        return runs.map(async (previous) => {
          const log = await clients.core
            .readNamespacedPodLog({ namespace, name: pod.metadata.name, container, previous, limitBytes: FORENSICS_LOG_BYTES })
            .then(String, (error: Error) => `(no log: ${error.message})\n`)
          write(path.join('logs', `${pod.metadata.name}.${container}${previous ? '.previous' : ''}.log`), log)
        })
      })
    }),
  )
}

/** Run in a node container: the end of each component log, as a tar on stdout. */
const TAIL_LOGS_AS_TAR = `d=$(mktemp -d) && cd /var/log/kube && for f in *.log; do tail -c ${FORENSICS_LOG_BYTES} "$f" > "$d/$f"; done && tar -C "$d" -cf - . && rm -rf "$d"`

/** The regular files of a tar archive (ustar, as GNU and busybox tar write it) with their text. */
export function untar(archive: Buffer): Array<[string, string]> {
  const files: Array<[string, string]> = []
  for (let offset = 0; offset + 512 <= archive.length; ) {
    const header = archive.subarray(offset, offset + 512)
    if (header.every((byte) => byte === 0)) break
    const field = (from: number, length: number) => header.subarray(from, from + length).toString('utf8').replace(/\0.*$/s, '').trim()
    const name = field(0, 100).replace(/^\.\//, '')
    const size = parseInt(field(124, 12) || '0', 8)
    const type = field(156, 1)
    if ((type === '0' || type === '') && name) files.push([name, archive.subarray(offset + 512, offset + 512 + size).toString('utf8')])
    offset += 512 + Math.ceil(size / 512) * 512
  }
  return files
}

interface ContainerStatus {
  name: string
  restartCount?: number
  lastState?: { terminated?: unknown }
}

/**
 * The component logs of the offline cluster's node containers (/var/log/kube: kubelet,
 * containerd, kube-apiserver, controller-manager, scheduler, etcd): the end of each, since the
 * node started with the run. Returns the kubelets' last lines about the namespace (shown inline).
 */
async function nodeComponentLogs(runId: string, namespace: string, write: (file: string, content: string) => void): Promise<string | undefined> {
  const excerpts: string[] = []
  const { stdout } = await run('docker', ['ps', '--filter', `label=${RUN_LABEL}=${runId}`, '--format', `{{.ID}} {{.Label "${NODE_LABEL}"}}`])
  const nodes = stdout.trim().split('\n').filter(Boolean).map((line) => line.split(' ') as [string, string])
  await Promise.all(
    nodes.map(async ([container, node]) => {
      // One exec per node (a busy machine makes each exec slow): the logs' ends as one tar.
      const { stdout: archive } = await run('docker', ['exec', container, 'sh', '-c', TAIL_LOGS_AS_TAR], { encoding: 'buffer', maxBuffer: 64 * FORENSICS_LOG_BYTES })
      for (const [file, log] of untar(archive)) {
        write(path.join('nodes', node || container, file), log)
        if (file === 'kubelet.log') {
          const lines = log.split('\n').filter((line) => line.includes(`${namespace}/`) || line.includes(`"${namespace}"`))
          if (lines.length) excerpts.push([`${node || container}:`, ...lines.slice(-KUBELET_EXCERPT_LINES)].join('\n'))
        }
      }
    }),
  )
  return excerpts.length ? excerpts.join('\n') : undefined
}

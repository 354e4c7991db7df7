// The run watches the nodes it owns: when a node's container exits, it says so at once ("node w1
// lost at … (container exited: exit code 137 (SIGKILL))") and marks the Node object, so that every
// wait on pods of that node, in any test worker, fails at once instead of at its timeout
// (lib/node-loss.ts). On any cluster it also says when a node stops reporting (Ready=Unknown).
import type { Readable } from 'node:stream'
import { getContainerRuntimeClient } from 'testcontainers'
import { createClients, type Clients } from '../api/client.js'
import { NODE_LOST_ANNOTATION, describeLoss, lossOf, type NodeLoss } from '../observe/node-loss.js'
import { watchObjects, type WatchHandle } from '../observe/watch.js'
import { NODE_LABEL, RUN_LABEL } from './provider.js'

export interface NodeMonitor {
  /** Stops watching: call it before the run stops its own containers. */
  stop(): void
}

/** A Docker event of a run's container (the fields used here). */
interface ContainerEvent {
  status?: string
  Action?: string
  timeNano?: number
  Actor?: { Attributes?: Record<string, string> }
}

/** Why a container exited, from its exit code (128 + signal for a signal). */
export function exitReason(exitCode: string | undefined, outOfMemory: boolean): string {
  const code = Number(exitCode)
  const signals: Record<number, string> = { 9: 'SIGKILL', 15: 'SIGTERM', 2: 'SIGINT', 6: 'SIGABRT', 11: 'SIGSEGV' }
  const signal = code > 128 ? signals[code - 128] ?? `signal ${code - 128}` : undefined
  return `container exited: exit code ${exitCode ?? '?'}${signal ? ` (${signal})` : ''}${outOfMemory ? ', out of memory' : ''}`
}

/**
 * Starts watching the run's nodes. `ownsContainers`: the provider started the node containers
 * (labelled with the run and their node's name); a borrowed cluster has only its Node objects.
 */
export async function monitorNodes(options: { runId: string; kubeconfig: string; ownsContainers: boolean; log: (line: string) => void }): Promise<NodeMonitor> {
  const clients = createClients(options.kubeconfig)
  const reported = new Set<string>()
  const report = (loss: NodeLoss) => {
    if (stopped || reported.has(loss.node)) return
    reported.add(loss.node)
    options.log(describeLoss(loss))
  }
  let stopped = false
  const events = options.ownsContainers ? await containerEvents(options.runId) : undefined
  const outOfMemory = new Set<string>()
  events?.on('data', (chunk: Buffer) => {
    for (const line of String(chunk).split('\n').filter(Boolean)) {
      let event: ContainerEvent
      try {
        event = JSON.parse(line) as ContainerEvent
      } catch {
        continue
      }
      const attributes = event.Actor?.Attributes ?? {}
      const node = attributes[NODE_LABEL]
      const action = event.Action ?? event.status
      if (!node || stopped) continue
      if (action === 'oom') outOfMemory.add(node)
      if (action !== 'die') continue
      const loss = { node, at: event.timeNano ? Math.round(event.timeNano / 1e6) : Date.now(), reason: exitReason(attributes.exitCode, outOfMemory.has(node)) }
      report(loss)
      void markLost(clients, loss).catch((error: Error) => options.log(`could not mark node ${node} as lost on the API (${error.message}); waits on its pods run to their timeouts`))
    }
  })
  // Losses the API shows (the node controller's Ready=Unknown), for borrowed clusters too.
  const nodes: WatchHandle | undefined = await watchObjects(clients, { apiVersion: 'v1', kind: 'Node' }, {
    onChange: (_objects, _type, node) => {
      const loss = lossOf(node)
      if (loss) report(loss)
      else reported.delete(node.metadata.name)
    },
  }).catch(() => undefined)
  return {
    stop() {
      stopped = true
      events?.destroy()
      nodes?.stop()
    },
  }
}

/** Docker's event stream of the run's containers dying (or running out of memory). */
async function containerEvents(runId: string): Promise<Readable> {
  const docker = (await getContainerRuntimeClient()).container.dockerode
  const filters = { type: ['container'], event: ['die', 'oom'], label: [`${RUN_LABEL}=${runId}`] }
  return (await docker.getEvents({ filters: JSON.stringify(filters) } as never)) as unknown as Readable
}

/** The annotation every worker's waits see on their Node watch (lib/node-loss.ts). */
async function markLost(clients: Clients, loss: NodeLoss): Promise<void> {
  const value = JSON.stringify({ at: new Date(loss.at).toISOString(), reason: loss.reason })
  await clients.raw.request('PATCH', `/api/v1/nodes/${loss.node}`, { metadata: { annotations: { [NODE_LOST_ANNOTATION]: value } } }, 'application/merge-patch+json')
}

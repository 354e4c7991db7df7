// Events of objects, and failure evidence: the namespace's recent Events, logs of pods that are not ready, and a status
// dump of its workloads. Collected before the namespace is deleted; a collector never throws.
import type { Clients } from '../api/client.js'

export interface Evidence {
  events: string
  podLogs: string
  objects: string
}

const MAX_EVENTS = 40
const LOG_TAIL_LINES = 30

/** Everything worth reading when something in `namespace` went wrong. */
export async function collectEvidence(clients: Clients, namespace: string): Promise<Evidence> {
  const [events, podLogs, objects] = await Promise.all([
    safely(() => recentEvents(clients, namespace)),
    safely(() => logsOfUnreadyPods(clients, namespace)),
    safely(() => workloadStatus(clients, namespace)),
  ])
  return { events, podLogs, objects }
}

/** The evidence as one text block, for error messages. */
export function formatEvidence(evidence: Evidence): string {
  return [`events:\n${evidence.events}`, `pods not ready:\n${evidence.podLogs}`, `workloads:\n${evidence.objects}`].join('\n')
}

async function safely(collect: () => Promise<string>): Promise<string> {
  try {
    return await collect()
  } catch (error) {
    return `  (could not collect: ${(error as Error).message})`
  }
}

async function recentEvents(clients: Clients, namespace: string): Promise<string> {
  const { items } = await clients.core.listNamespacedEvent({ namespace })
  const sorted = items
    .map((e) => ({ at: new Date(e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp ?? 0).getTime(), e }))
    .sort((a, b) => a.at - b.at)
    .slice(-MAX_EVENTS)
  if (sorted.length === 0) return '  (none)'
  return sorted
    .map(({ at, e }) => `  ${new Date(at).toISOString().slice(11, 19)} ${e.type} ${e.reason} ${e.involvedObject.kind}/${e.involvedObject.name}: ${e.message ?? ''}`)
    .join('\n')
}

async function logsOfUnreadyPods(clients: Clients, namespace: string): Promise<string> {
  const { items } = await clients.core.listNamespacedPod({ namespace })
  const unready = items.filter((p) => !p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
  if (unready.length === 0) return '  (all pods ready)'
  const parts = await Promise.all(
    unready.slice(0, 5).flatMap((pod) =>
      (pod.spec?.containers ?? []).map(async (container) => {
        const status = pod.status?.containerStatuses?.find((c) => c.name === container.name)
        const state = status?.state
        const why = state?.waiting ? `waiting: ${state.waiting.reason} ${state.waiting.message ?? ''}` : state?.terminated ? `terminated: ${state.terminated.reason} exit ${state.terminated.exitCode}` : pod.status?.phase
        // A container waiting to restart has no log of its own yet: its last run's log says why it ended.
        const previous = Boolean(state?.waiting && status?.lastState?.terminated)
        const log = await clients.core
          .readNamespacedPodLog({ namespace, name: pod.metadata!.name!, container: container.name, tailLines: LOG_TAIL_LINES, previous })
          .catch((error: Error) => `(no logs: ${error.message.split('\n')[0]})`)
        const run = previous ? `; its previous run ended ${status!.lastState!.terminated!.reason} exit ${status!.lastState!.terminated!.exitCode}` : ''
        return `  pod ${pod.metadata!.name} container ${container.name} (${why}${run}):\n${indent(String(log || '(empty)'))}`
      }),
    ),
  )
  return parts.join('\n')
}

async function workloadStatus(clients: Clients, namespace: string): Promise<string> {
  const [deployments, pods] = await Promise.all([
    clients.apps.listNamespacedDeployment({ namespace }),
    clients.core.listNamespacedPod({ namespace }),
  ])
  const lines = [
    ...deployments.items.map((d) => `  Deployment/${d.metadata?.name}: ${JSON.stringify(d.status ?? {})}`),
    ...pods.items.map((p) => `  Pod/${p.metadata?.name} on ${p.spec?.nodeName ?? '-'}: ${p.status?.phase} ${JSON.stringify(p.status?.conditions?.map((c) => `${c.type}=${c.status}`) ?? [])}`),
  ]
  return lines.length ? lines.join('\n') : '  (none)'
}

function indent(text: string): string {
  return text
    .trimEnd()
    .split('\n')
    .map((line) => `    | ${line}`)
    .join('\n')
}

/** One Event about an object, in the order the API server recorded it. */
export interface ObjectEvent {
  at: string
  type: string
  reason: string
  message: string
}

/** The Events about one object, oldest first (ties broken by the order the server stored them). */
export async function eventsFor(clients: Clients, ref: { namespace: string; kind: string; name: string }): Promise<ObjectEvent[]> {
  const { items } = await clients.core.listNamespacedEvent({
    namespace: ref.namespace,
    fieldSelector: `involvedObject.kind=${ref.kind},involvedObject.name=${ref.name}`,
  })
  return items
    .map((e) => ({
      time: new Date(e.firstTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp ?? 0).getTime(),
      order: Number(e.metadata.resourceVersion ?? 0),
      event: { at: new Date(e.firstTimestamp ?? e.eventTime ?? 0).toISOString(), type: e.type ?? '', reason: e.reason ?? '', message: (e.message ?? '').replace(/^\(combined from similar events\): /, '') },
    }))
    .sort((a, b) => a.time - b.time || a.order - b.order)
    .map((e) => e.event)
}

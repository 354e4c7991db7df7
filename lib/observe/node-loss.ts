// Which nodes of a cluster are lost, so that a wait on pods of a lost node fails at once with the
// reason instead of at its timeout. A node is lost when the run that owns its container saw the
// container exit (it annotates the Node: NODE_LOST_ANNOTATION), or when the node controller marks
// it Ready=Unknown (its kubelet stopped posting status: what a borrowed cluster shows).
import type { Clients } from '../api/client.js'
import { SharedWatch, type ObservedObject, type Selection } from './watch.js'

/** Set on a Node by the run that owns its container, when that container exits: JSON NodeLoss minus the name. */
export const NODE_LOST_ANNOTATION = 'kube-scenarios.dev/lost'

export interface NodeLoss {
  node: string
  /** When it was lost (ms since the epoch). */
  at: number
  /** "container exited: exit code 137 (SIGKILL)", "NotReady: Kubelet stopped posting node status." */
  reason: string
}

/** "node w1 lost at 21:40:02.123 (container exited: exit code 137 (SIGKILL))" */
export function describeLoss(loss: NodeLoss): string {
  return `node ${loss.node} lost at ${new Date(loss.at).toISOString().slice(11, 23)} (${loss.reason})`
}

/** The loss a Node object shows, if any. */
export function lossOf(node: ObservedObject): NodeLoss | undefined {
  const name = node.metadata.name
  const annotation = node.metadata.annotations?.[NODE_LOST_ANNOTATION]
  if (annotation) {
    try {
      const { at, reason } = JSON.parse(annotation) as { at: string; reason: string }
      return { node: name, at: Date.parse(at), reason }
    } catch {
      return { node: name, at: Date.now(), reason: annotation }
    }
  }
  const conditions = (node.status?.conditions ?? []) as Array<{ type: string; status: string; message?: string; lastTransitionTime?: string }>
  const ready = conditions.find((c) => c.type === 'Ready')
  if (ready?.status !== 'Unknown') return undefined
  return { node: name, at: ready.lastTransitionTime ? Date.parse(ready.lastTransitionTime) : Date.now(), reason: `NotReady: ${ready.message ?? 'the node stopped reporting'}` }
}

/** A wait that depends on pods of a node that was lost. */
export class NodeLostError extends Error {
  constructor(
    readonly loss: NodeLoss,
    readonly condition: string,
    readonly pods: readonly string[],
  ) {
    const which = pods.length ? `; its pods there: ${pods.join(', ')}` : ''
    super(`${describeLoss(loss)} while waiting until ${condition}${which}`)
    this.name = 'NodeLostError'
  }
}

/**
 * Whether a wait on this selection can depend on a node: only what runs on pods of a namespace
 * does (waits on Nodes are decided by the nodes' own state: nodesReady does not count a lost node).
 */
export function followsNodeLosses(selection: Selection): boolean {
  return selection.namespace !== undefined && RUN_ON_PODS.has(selection.kind)
}

/**
 * The pods of the selection's namespace on the lost node that are still meant to run (undefined:
 * the wait does not depend on that node).
 */
export async function dependentPods(clients: Clients, selection: Selection, node: string): Promise<string[] | undefined> {
  if (!followsNodeLosses(selection)) return undefined
  // A wait on pods depends on those it selects; one on a workload or Service on any of the namespace's.
  const labelSelector = selection.kind === 'Pod' ? selection.labelSelector : undefined
  const fieldSelector = [`spec.nodeName=${node}`, selection.kind === 'Pod' && selection.name ? `metadata.name=${selection.name}` : undefined].filter(Boolean).join(',')
  const { items } = await clients.core.listNamespacedPod({ namespace: selection.namespace!, fieldSelector, labelSelector })
  const running = items.filter((pod) => pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed').map((pod) => pod.metadata!.name!)
  return running.length ? running : undefined
}

/** Kinds whose state comes from pods (their status, endpoints, volumes bound to a node). */
const RUN_ON_PODS = new Set(['Pod', 'Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'Service', 'Endpoints', 'EndpointSlice', 'PersistentVolumeClaim', 'HorizontalPodAutoscaler'])

type LossListener = (loss: NodeLoss) => void

/** One Node watch per cluster and process, shared by the waits running at the time. */
class NodeLossTracker {
  private readonly lost = new Map<string, NodeLoss>()
  private readonly nodes: SharedWatch<LossListener>

  constructor(clients: Clients) {
    this.nodes = new SharedWatch(clients, { apiVersion: 'v1', kind: 'Node' }, this.observe)
  }

  /**
   * Calls `listener` for every node lost from now on, and at once for those already lost;
   * `listed` settles once the nodes were listed (the losses known before the wait began).
   */
  subscribe(listener: LossListener): { listed: Promise<void>; unsubscribe: () => void } {
    const subscription = this.nodes.subscribe(listener)
    for (const loss of this.lost.values()) listener(loss)
    return subscription
  }

  private readonly observe = (nodes: ObservedObject[]): void => {
    for (const node of nodes) {
      const loss = lossOf(node)
      // A node whose kubelet reports again is back (an annotated one never is: its container is gone).
      if (!loss) this.lost.delete(node.metadata.name)
      if (!loss || this.lost.has(loss.node)) continue
      this.lost.set(loss.node, loss)
      for (const listener of [...this.nodes.listeners]) listener(loss)
    }
  }
}

const trackers = new WeakMap<Clients, NodeLossTracker>()

/** The node losses of the cluster these clients talk to, as this process observes them. */
export function nodeLosses(clients: Clients): Pick<NodeLossTracker, 'subscribe'> {
  let tracker = trackers.get(clients)
  if (!tracker) trackers.set(clients, (tracker = new NodeLossTracker(clients)))
  return tracker
}

// Scaling through the scale subresource, with kubectl's `--current-replicas` precondition.
import { ApiError, type Clients } from '../api/client.js'

export type ScalableKind = 'Deployment' | 'StatefulSet' | 'ReplicaSet'

const COLLECTION: Record<ScalableKind, string> = {
  Deployment: 'deployments',
  StatefulSet: 'statefulsets',
  ReplicaSet: 'replicasets',
}

export interface ScaleRequest {
  kind: ScalableKind
  namespace: string
  name: string
  replicas: number
  /** Refuse (and change nothing) unless the current spec.replicas is this. */
  currentReplicas?: number
}

/** The precondition of a scale did not hold; nothing was changed. */
export class ScalePreconditionError extends Error {
  constructor(
    readonly request: ScaleRequest,
    readonly actualReplicas: number,
  ) {
    super(
      `refused to scale ${request.kind.toLowerCase()}/${request.name} to ${request.replicas}: expected current replicas ${request.currentReplicas}, found ${actualReplicas}; nothing was changed`,
    )
    this.name = 'ScalePreconditionError'
  }
}

interface Scale {
  metadata: { resourceVersion: string; name: string; namespace: string }
  spec: { replicas?: number }
  status?: { replicas?: number }
}

const SCALE_CONFLICT_RETRIES = 5

/**
 * Sets the replica count. With currentReplicas, the read and the write are tied by the
 * resourceVersion; on a conflict (the object changed in between, e.g. a status update) it reads
 * again and re-checks the precondition, as kubectl's scaler does.
 */
export async function scale(clients: Clients, request: ScaleRequest): Promise<void> {
  const path = `/apis/apps/v1/namespaces/${request.namespace}/${COLLECTION[request.kind]}/${request.name}/scale`
  for (let attempt = 1; ; attempt++) {
    const current = await clients.raw.request<Scale>('GET', path)
    const actual = current.spec.replicas ?? 0
    if (request.currentReplicas !== undefined && actual !== request.currentReplicas) throw new ScalePreconditionError(request, actual)
    const body: Scale = {
      ...current,
      metadata: { ...current.metadata, resourceVersion: request.currentReplicas === undefined ? '' : current.metadata.resourceVersion },
      spec: { replicas: request.replicas },
    }
    try {
      await clients.raw.request('PUT', path, body)
      return
    } catch (error) {
      if (!(error instanceof ApiError && error.statusCode === 409) || attempt === SCALE_CONFLICT_RETRIES) throw error
    }
  }
}

/** A running, Ready pod as the ReplicaSet controller weighs it when scaling down. */
export interface ScaleDownCandidate {
  name: string
  uid: string
  node: string
  /** When its Ready condition last became True (ms since epoch). */
  readySince: number
  createdAt: number
  restarts: number
}

/**
 * Which pods a ReplicaSet deletes when it removes `count` of these running, Ready pods, by the
 * controller's ranking (ActivePodsWithRanks in pkg/controller, LogarithmicScaleDown on): pods
 * sharing a node with more siblings first; then, when Ready times differ, the more recently Ready
 * on a log2 scale of age (same bucket: lower UID); then more restarts; then, when creation times
 * differ, the newer on the same scale (same bucket: lower UID).
 *
 * That comparison is not always an order: two pods Ready in the same second fall through to their
 * creation times while each of them meets a third pod on UIDs, so the result of Go's sort can
 * depend on the order the informer lists the pods in, which nobody observes. The controller's
 * clock reading is known only to lie in `decided` (after the scale was asked for, before its
 * first deletion was seen). Returns undefined when the answer is not determined: when some
 * listing order, or some instant of `decided` (a pod crossing a log2 age bucket), gives other
 * victims (every order is tried, sorted as Go sorts a short slice).
 */
export function scaleDownVictims(pods: readonly ScaleDownCandidate[], count: number, decided: DecisionWindow): string[] | undefined {
  if (count >= pods.length) return pods.map((p) => p.name).sort()
  const answers = new Set<string>()
  for (const now of instantsWithin(pods, decided)) {
    const less = controllerLess(pods, now)
    const orders = isStrictTotalOrder(pods, less) ? [[...pods]] : listingOrders(pods)
    if (!orders) return undefined
    for (const order of orders) answers.add(insertionSorted(order, less).slice(0, count).map((p) => p.name).sort().join(','))
    if (answers.size > 1) return undefined
  }
  return [...answers][0]!.split(',')
}

/** When the controller read its clock for the ranking (ms since epoch), at best known as a span. */
export interface DecisionWindow {
  after: number
  before: number
}

/** The window's ends and every instant inside it where some pod's log2 age bucket changes. */
function instantsWithin(pods: readonly ScaleDownCandidate[], { after, before }: DecisionWindow): number[] {
  const instants = new Set([after, before])
  for (const since of pods.flatMap((p) => [p.readySince, p.createdAt])) {
    if (since > after && since < before) instants.add(since + 1)
    for (let k = 0; k < 64; k++) {
      const edge = since + 2 ** k / 1e6
      if (edge > after && edge < before) instants.add(edge)
    }
  }
  return [...instants].sort((a, b) => a - b)
}

type Less = (a: ScaleDownCandidate, b: ScaleDownCandidate) => boolean

/** ActivePodsWithRanks.Less for running, Ready pods (the steps before the node rank are equal for them). */
function controllerLess(pods: readonly ScaleDownCandidate[], now: number): Less {
  const onNode = new Map<string, number>()
  for (const p of pods) onNode.set(p.node, (onNode.get(p.node) ?? 0) + 1)
  // logarithmicRankDiff: floor(log2(age in ns)), -1 for a time not in the past.
  const bucket = (since: number) => (now > since ? Math.floor(Math.log2((now - since) * 1e6)) : -1)
  const byBucketThenUid = (a: ScaleDownCandidate, b: ScaleDownCandidate, at: (p: ScaleDownCandidate) => number) => {
    const diff = bucket(at(a)) - bucket(at(b))
    return diff === 0 ? a.uid < b.uid : diff < 0
  }
  return (a, b) => {
    const ranks = onNode.get(a.node)! - onNode.get(b.node)!
    if (ranks) return ranks > 0
    if (a.readySince !== b.readySince) return byBucketThenUid(a, b, (p) => p.readySince)
    if (a.restarts !== b.restarts) return a.restarts > b.restarts
    if (a.createdAt !== b.createdAt) return byBucketThenUid(a, b, (p) => p.createdAt)
    return false
  }
}

/** True when any correct sort gives one result: every pair ordered one way, and transitively. */
function isStrictTotalOrder(pods: readonly ScaleDownCandidate[], less: Less): boolean {
  for (const a of pods)
    for (const b of pods) {
      if (a !== b && less(a, b) === less(b, a)) return false
      for (const c of pods) if (less(a, b) && less(b, c) && !less(a, c)) return false
    }
  return true
}

const MAX_ENUMERATED_PODS = 8

/** Every order the informer could list the pods in; undefined when there are too many to try. */
function listingOrders(pods: readonly ScaleDownCandidate[]): ScaleDownCandidate[][] | undefined {
  if (pods.length > MAX_ENUMERATED_PODS) return undefined
  if (pods.length <= 1) return [[...pods]]
  return pods.flatMap((first, i) => listingOrders([...pods.slice(0, i), ...pods.slice(i + 1)])!.map((rest) => [first, ...rest]))
}

/** Go's sort.Sort on a slice this short (≤ 12) is an insertion sort: swap down while Less(j, j-1). */
function insertionSorted(pods: readonly ScaleDownCandidate[], less: Less): ScaleDownCandidate[] {
  const sorted = [...pods]
  for (let i = 1; i < sorted.length; i++)
    for (let j = i; j > 0 && less(sorted[j]!, sorted[j - 1]!); j--) [sorted[j - 1], sorted[j]] = [sorted[j]!, sorted[j - 1]!]
  return sorted
}

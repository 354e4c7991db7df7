// Scaling through the scale subresource, with kubectl's `--current-replicas` precondition.
import { ApiError, type Clients } from './api.js'

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
 * differ, the newer on the same scale (same bucket: lower UID). Returns undefined when the choice
 * is not determined: a full tie across the cut (the controller's sort is unstable), or an answer
 * that changes within `clockSlackMs` of `decidedAt` (a pod at a bucket edge).
 */
export function scaleDownVictims(pods: readonly ScaleDownCandidate[], count: number, decidedAt: number, clockSlackMs = 1500): string[] | undefined {
  const pick = (now: number): string[] | undefined => {
    const onNode = new Map<string, number>()
    for (const p of pods) onNode.set(p.node, (onNode.get(p.node) ?? 0) + 1)
    const bucket = (since: number) => (now > since ? Math.floor(Math.log2((now - since) * 1e6)) : -1)
    const byUid = (a: ScaleDownCandidate, b: ScaleDownCandidate) => (a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0)
    const compare = (a: ScaleDownCandidate, b: ScaleDownCandidate): number => {
      const colocated = onNode.get(b.node)! - onNode.get(a.node)!
      if (colocated) return colocated
      if (a.readySince !== b.readySince) return bucket(a.readySince) - bucket(b.readySince) || byUid(a, b)
      if (a.restarts !== b.restarts) return b.restarts - a.restarts
      if (a.createdAt !== b.createdAt) return bucket(a.createdAt) - bucket(b.createdAt) || byUid(a, b)
      return 0
    }
    const ranked = [...pods].sort(compare)
    if (count < ranked.length && compare(ranked[count - 1]!, ranked[count]!) === 0) return undefined
    return ranked.slice(0, count).map((p) => p.name).sort()
  }
  const choices = [decidedAt - clockSlackMs, decidedAt, decidedAt + clockSlackMs].map((now) => pick(now)?.join(','))
  return choices.every((c) => c !== undefined && c === choices[0]) ? pick(decidedAt) : undefined
}

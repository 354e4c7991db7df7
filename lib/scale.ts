// Scaling through the scale subresource, with kubectl's `--current-replicas` precondition.
import type { Clients } from './api.js'

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

/**
 * Sets the replica count. With currentReplicas, the read and the write are tied by the
 * resourceVersion, so a change in between fails with a conflict instead of overwriting it.
 */
export async function scale(clients: Clients, request: ScaleRequest): Promise<void> {
  const path = `/apis/apps/v1/namespaces/${request.namespace}/${COLLECTION[request.kind]}/${request.name}/scale`
  const current = await clients.raw.request<Scale>('GET', path)
  const actual = current.spec.replicas ?? 0
  if (request.currentReplicas !== undefined && actual !== request.currentReplicas) throw new ScalePreconditionError(request, actual)
  const body: Scale = {
    ...current,
    metadata: { ...current.metadata, resourceVersion: request.currentReplicas === undefined ? '' : current.metadata.resourceVersion },
    spec: { replicas: request.replicas },
  }
  await clients.raw.request('PUT', path, body)
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
 * controller's ranking (pkg/controller ActivePodsWithRanks with LogarithmicScaleDown): pods sharing
 * a node with more of their siblings first, then the most recently Ready and the most restarted,
 * then the newest — times compared on a log2 scale of their age — and finally the UID. Returns
 * undefined when the answer depends on the exact instant of the decision (a pod sits at a
 * bucket edge within `clockSlackMs` of `decidedAt`).
 */
export function scaleDownVictims(pods: readonly ScaleDownCandidate[], count: number, decidedAt: number, clockSlackMs = 1500): string[] | undefined {
  const pick = (now: number) => {
    const onNode = new Map<string, number>()
    for (const p of pods) onNode.set(p.node, (onNode.get(p.node) ?? 0) + 1)
    const bucket = (since: number) => Math.floor(Math.log2(Math.max(1, (now - since) * 1e6)))
    const ranked = [...pods].sort(
      (a, b) =>
        onNode.get(b.node)! - onNode.get(a.node)! ||
        bucket(a.readySince) - bucket(b.readySince) ||
        b.restarts - a.restarts ||
        bucket(a.createdAt) - bucket(b.createdAt) ||
        (a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0),
    )
    return ranked.slice(0, count).map((p) => p.name).sort()
  }
  const choices = [decidedAt - clockSlackMs, decidedAt, decidedAt + clockSlackMs].map((now) => pick(now).join(','))
  return new Set(choices).size === 1 ? pick(decidedAt) : undefined
}

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

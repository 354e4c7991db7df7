// Deployment rollouts as kubectl does them: set image / patch the pod template with a
// change-cause, rollout history (ReplicaSets by revision), rollback to a revision or the previous.
import type { Clients } from '../api/client.js'
import { resolveImage } from '../api/fixtures.js'

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision'
export const CHANGE_CAUSE_ANNOTATION = 'kubernetes.io/change-cause'

/**
 * Annotations a rollback keeps from the Deployment and never copies from the ReplicaSet
 * (kubectl's annotationsToSkip); every other annotation comes from the ReplicaSet alone.
 */
const ANNOTATIONS_NOT_ROLLED_BACK = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION_ANNOTATION,
  'deployment.kubernetes.io/revision-history',
  'deployment.kubernetes.io/desired-replicas',
  'deployment.kubernetes.io/max-replicas',
  'deprecated.deployment.rollback.to',
])

interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }
  spec?: unknown
}

export interface ReplicaSetLike {
  metadata: { name: string; uid?: string; annotations?: Record<string, string>; ownerReferences?: Array<{ uid: string; controller?: boolean }> }
  spec: { replicas?: number; template: PodTemplate }
  status?: { replicas?: number; readyReplicas?: number }
}

export interface DeploymentLike {
  metadata: { name: string; uid?: string; annotations?: Record<string, string> }
  spec: { paused?: boolean; template: PodTemplate }
}

/** One line of `kubectl rollout history`. */
export interface Revision {
  revision: number
  replicaSet: string
  changeCause?: string
  images: string[]
  replicas: number
}

export function revisionOf(rs: ReplicaSetLike): number {
  const value = Number(rs.metadata.annotations?.[REVISION_ANNOTATION])
  return Number.isInteger(value) ? value : 0
}

/** History sorted by revision, oldest first. */
export function historyOf(replicaSets: readonly ReplicaSetLike[]): Revision[] {
  return replicaSets
    .map((rs) => ({
      revision: revisionOf(rs),
      replicaSet: rs.metadata.name,
      changeCause: rs.metadata.annotations?.[CHANGE_CAUSE_ANNOTATION],
      images: ((rs.spec.template.spec as { containers?: Array<{ image?: string }> })?.containers ?? []).map((c) => c.image ?? ''),
      replicas: rs.spec.replicas ?? 0,
    }))
    .filter((r) => r.revision > 0)
    .sort((a, b) => a.revision - b.revision)
}

/** The revision before the newest one (kubectl's "previous"), or undefined without history. */
export function previousRevision(revisions: readonly number[]): number | undefined {
  const sorted = [...new Set(revisions)].sort((a, b) => b - a)
  return sorted[1]
}

/** The revision a rolled-back ReplicaSet gets: one past the newest (history renumbers N -> max+1). */
export function revisionAfterRollback(revisions: readonly number[]): number {
  return Math.max(0, ...revisions) + 1
}

export class RollbackError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'RollbackError'
  }
}

export interface RollbackPlan {
  toRevision: number
  replicaSet: string
  /** JSON patch for the Deployment (empty when skipped). */
  patch: Array<{ op: 'replace'; path: string; value: unknown }>
  /** Why nothing is patched: the Deployment already runs that revision's template (kubectl says so too). */
  skipped?: string
}

/**
 * What kubectl's rollback (k8s.io/kubectl polymorphichelpers, v0.37) does, as a pure plan: find
 * the ReplicaSet of the revision (0 = the previous one); skip when the Deployment's template
 * already equals it (ignoring pod-template-hash); else replace the pod template (minus
 * pod-template-hash) and the annotations: the Deployment's skip-list ones plus the ReplicaSet's
 * others. A change-cause the Deployment has but the ReplicaSet lacks is therefore dropped.
 */
export function planRollback(deployment: DeploymentLike, replicaSets: readonly ReplicaSetLike[], toRevision = 0): RollbackPlan {
  if (deployment.spec.paused) throw new RollbackError(`deployment ${deployment.metadata.name} is paused; resume it before rolling back`)
  const owned = replicaSets.filter((rs) => !deployment.metadata.uid || rs.metadata.ownerReferences?.some((o) => o.uid === deployment.metadata.uid && o.controller))
  const revisions = owned.map(revisionOf)
  const target = toRevision === 0 ? previousRevision(revisions) : toRevision
  if (target === undefined) throw new RollbackError(`deployment ${deployment.metadata.name} has no previous revision to roll back to`)
  const rs = owned.find((r) => revisionOf(r) === target)
  if (!rs) throw new RollbackError(`deployment ${deployment.metadata.name} has no revision ${target} (history: ${[...revisions].sort((a, b) => a - b).join(', ')})`)
  const template = withoutHash(rs.spec.template)
  if (sameJson(template, withoutHash(deployment.spec.template))) {
    return { toRevision: target, replicaSet: rs.metadata.name, patch: [], skipped: `current template already matches revision ${target}` }
  }
  const annotations: Record<string, string> = {}
  for (const [key, value] of Object.entries(deployment.metadata.annotations ?? {})) {
    if (ANNOTATIONS_NOT_ROLLED_BACK.has(key)) annotations[key] = value
  }
  for (const [key, value] of Object.entries(rs.metadata.annotations ?? {})) {
    if (!ANNOTATIONS_NOT_ROLLED_BACK.has(key)) annotations[key] = value
  }
  return {
    toRevision: target,
    replicaSet: rs.metadata.name,
    patch: [
      { op: 'replace', path: '/spec/template', value: template },
      { op: 'replace', path: '/metadata/annotations', value: annotations },
    ],
  }
}

function withoutHash(template: PodTemplate): PodTemplate {
  const copy = structuredClone(template)
  if (copy.metadata?.labels) delete copy.metadata.labels['pod-template-hash']
  return copy
}

/** Deep equality of JSON values, object keys in any order (what the API round-trips). */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return false
  const keysA = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined)
  const keysB = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined)
  return keysA.length === keysB.length && keysA.every((k) => sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
}

export interface DeploymentRef {
  namespace: string
  name: string
}

async function ownedReplicaSets(clients: Clients, { namespace, name }: DeploymentRef): Promise<ReplicaSetLike[]> {
  const deployment = await clients.apps.readNamespacedDeployment({ namespace, name })
  const { items } = await clients.apps.listNamespacedReplicaSet({ namespace })
  return (items as unknown as ReplicaSetLike[]).filter((rs) => rs.metadata.ownerReferences?.some((o) => o.uid === deployment.metadata?.uid && o.controller))
}

/** `kubectl rollout history`: the Deployment's ReplicaSets by revision. */
export async function rolloutHistory(clients: Clients, ref: DeploymentRef): Promise<Revision[]> {
  return historyOf(await ownedReplicaSets(clients, ref))
}

/** `kubectl rollout undo [--to-revision=N]`; returns the plan that was applied. */
export async function rollback(clients: Clients, ref: DeploymentRef, toRevision = 0): Promise<RollbackPlan> {
  const deployment = (await clients.apps.readNamespacedDeployment(ref)) as unknown as DeploymentLike
  const plan = planRollback(deployment, await ownedReplicaSets(clients, ref), toRevision)
  if (!plan.skipped) await patchDeployment(clients, ref, plan.patch, 'application/json-patch+json')
  return plan
}

/**
 * Changes the Deployment's pod template with a strategic merge patch and records why in the
 * change-cause annotation (what `--record` once did).
 */
export async function patchPodTemplate(clients: Clients, ref: DeploymentRef, template: PodTemplate, changeCause: string): Promise<void> {
  await patchDeployment(
    clients,
    ref,
    { metadata: { annotations: { [CHANGE_CAUSE_ANNOTATION]: changeCause } }, spec: { template } },
    'application/strategic-merge-patch+json',
  )
}

/** `kubectl set image deployment/<name> <container>=<image>`, through the image-override map. */
export async function setImage(
  clients: Clients,
  ref: DeploymentRef,
  container: string,
  image: string,
  options: { changeCause?: string; imageOverrides?: Readonly<Record<string, string>> } = {},
): Promise<void> {
  const resolved = resolveImage(image, options.imageOverrides ?? {})
  await patchPodTemplate(clients, ref, { spec: { containers: [{ name: container, image: resolved }] } }, options.changeCause ?? `set image ${container}=${image}`)
}

async function patchDeployment(clients: Clients, { namespace, name }: DeploymentRef, body: unknown, contentType: string) {
  await clients.raw.request('PATCH', `/apis/apps/v1/namespaces/${namespace}/deployments/${name}?fieldManager=kube-scenarios`, body, contentType)
}

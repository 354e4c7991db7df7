// Named conditions for waitFor: one general shape (selection + predicate), one line each.
import { lossOf } from '../observe/node-loss.js'
import type { Condition } from '../observe/wait.js'
import type { ObservedObject, Selection } from '../observe/watch.js'

type Check<T> = (objects: ObservedObject[]) => T | undefined

function condition<T>(description: string, selection: Selection, check: Check<T>, explain?: (o: ObservedObject[]) => string): Condition<T> {
  return { description, selection, check, explain }
}

const one = (objects: ObservedObject[]) => (objects.length === 1 ? objects[0] : undefined)
const num = (value: unknown) => (typeof value === 'number' ? value : 0)

/** One entry of an object's status.conditions. */
export interface StatusCondition {
  type: string
  status: string
  reason?: string
  message?: string
  lastTransitionTime?: string
}

/** The object's status condition of this type (Ready, Available, Complete...), if it reports one. */
export function statusCondition(object: ObservedObject | undefined, type: string): StatusCondition | undefined {
  return ((object?.status?.conditions ?? []) as StatusCondition[]).find((c) => c.type === type)
}

export function isPodReady(pod: ObservedObject): boolean {
  return !pod.metadata.deletionTimestamp && statusCondition(pod, 'Ready')?.status === 'True'
}

const podPhase = (pod: ObservedObject) => String(pod.status?.phase ?? 'Unknown')

/** A Deployment whose rollout finished (kubectl rollout status's rule) with `replicas` available. */
export function deploymentRolledOut(namespace: string, name: string, replicas?: number): Condition<ObservedObject> {
  return condition(
    `deployment ${name} has rolled out${replicas === undefined ? '' : ` with ${replicas} available replicas`}`,
    { apiVersion: 'apps/v1', kind: 'Deployment', namespace, name },
    (objects) => {
      const d = one(objects)
      if (!d) return undefined
      const s = d.status ?? {}
      const desired = num(d.spec?.replicas ?? 1)
      const complete =
        num(s.observedGeneration) >= num(d.metadata && (d.metadata as { generation?: number }).generation) &&
        num(s.updatedReplicas) === desired &&
        num(s.replicas) === desired &&
        num(s.availableReplicas) === desired
      return complete && (replicas === undefined || desired === replicas) ? d : undefined
    },
    (objects) => objects.map((d) => `spec.replicas=${JSON.stringify(d.spec?.replicas)} status=${JSON.stringify(d.status ?? {})}`).join('; '),
  )
}

/** Exactly `count` Ready pods match the selector, and no other pod is left (terminating or not). */
export function podsReady(namespace: string, labelSelector: string, count: number): Condition<ObservedObject[]> {
  return condition(
    `exactly ${count} pods matching ${labelSelector} are Ready and no other pod remains`,
    { apiVersion: 'v1', kind: 'Pod', namespace, labelSelector },
    (pods) => (pods.length === count && pods.every(isPodReady) ? sortByCreation(pods) : undefined),
    describePods,
  )
}

/** The pods matching the selector, once there are exactly `count` of them in one of `phases`. */
export function podsInPhase(namespace: string, labelSelector: string, count: number, phases: string[]): Condition<ObservedObject[]> {
  return condition(
    `${count} pods matching ${labelSelector} are ${phases.join(' or ')}`,
    { apiVersion: 'v1', kind: 'Pod', namespace, labelSelector },
    (pods) => {
      const matching = pods.filter((p) => phases.includes(podPhase(p)))
      return matching.length === count ? sortByCreation(matching) : undefined
    },
    describePods,
  )
}

/** A single named pod is Ready. */
export function podReady(namespace: string, name: string): Condition<ObservedObject> {
  return condition(
    `pod ${name} is Ready`,
    { apiVersion: 'v1', kind: 'Pod', namespace, name },
    (pods) => {
      const pod = one(pods)
      return pod && isPodReady(pod) ? pod : undefined
    },
    describePods,
  )
}

/** A Service's EndpointSlices list exactly `count` ready addresses; returns them. */
export function serviceEndpointsReady(namespace: string, service: string, count: number): Condition<string[]> {
  return condition(
    `service ${service} has ${count} ready endpoints`,
    { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', namespace, labelSelector: `kubernetes.io/service-name=${service}` },
    (slices) => {
      const ready = readyAddresses(slices)
      return ready.length === count ? ready.sort() : undefined
    },
    (slices) => `ready addresses: ${JSON.stringify(readyAddresses(slices))}`,
  )
}

function readyAddresses(slices: ObservedObject[]): string[] {
  return slices.flatMap((slice) =>
    ((slice as unknown as { endpoints?: Array<{ addresses: string[]; conditions?: { ready?: boolean } }> }).endpoints ?? [])
      .filter((e) => e.conditions?.ready !== false)
      .flatMap((e) => e.addresses),
  )
}

/** A Job reached Complete (returns it) — or Failed, which fails the wait at once. */
export function jobComplete(namespace: string, name: string): Condition<ObservedObject> {
  return condition(
    `job ${name} is Complete`,
    { apiVersion: 'batch/v1', kind: 'Job', namespace, name },
    (objects) => {
      const job = one(objects)
      const conditions = (job?.status?.conditions ?? []) as Array<{ type: string; status: string; message?: string }>
      const failed = conditions.find((c) => c.type === 'Failed' && c.status === 'True')
      if (failed) throw new Error(`job ${name} failed: ${failed.message ?? ''}`)
      return conditions.some((c) => c.type === 'Complete' && c.status === 'True') ? job : undefined
    },
  )
}

/** No object of the selection exists any more. */
export function resourcesGone(selection: Selection, what: string): Condition<true> {
  return condition(`${what} no longer exists`, selection, (objects) => (objects.length === 0 ? true : undefined), (objects) =>
    objects.map((o) => `${o.kind}/${o.metadata.name}${o.metadata.deletionTimestamp ? ' (terminating)' : ''}`).join(', '),
  )
}

/** Any object of the selection satisfies the predicate; returns that object. */
export function someObject(selection: Selection, description: string, predicate: (o: ObservedObject) => boolean): Condition<ObservedObject> {
  return condition(description, selection, (objects) => objects.find(predicate), (objects) => objects.map((o) => `${o.kind}/${o.metadata.name} status=${JSON.stringify(o.status ?? {})}`).join('; '))
}

/** All objects of the selection, once the predicate holds for the whole set. */
export function objectsMatch(selection: Selection, description: string, predicate: (objects: ObservedObject[]) => boolean): Condition<ObservedObject[]> {
  return condition(description, selection, (objects) => (predicate(objects) ? sortByCreation(objects) : undefined), (objects) =>
    objects.map((o) => `${o.kind}/${o.metadata.name} status=${JSON.stringify(o.status ?? {})}`).join('; '),
  )
}

/** Nodes that are Ready, once there are at least `count`. A lost node (lib/node-loss.ts) is not Ready, whatever its last status said. */
export function nodesReady(count: number): Condition<ObservedObject[]> {
  return condition(
    `${count} nodes are Ready`,
    { apiVersion: 'v1', kind: 'Node' },
    (nodes) => {
      const ready = nodes.filter((n) => statusCondition(n, 'Ready')?.status === 'True' && !lossOf(n))
      return ready.length >= count ? ready : undefined
    },
    (nodes) => nodes.map((n) => `${n.metadata.name}: ${JSON.stringify(((n.status?.conditions ?? []) as Array<{ type: string; status: string }>).map((c) => `${c.type}=${c.status}`))}`).join('; '),
  )
}

function sortByCreation(objects: ObservedObject[]): ObservedObject[] {
  return [...objects].sort((a, b) => String(a.metadata.creationTimestamp).localeCompare(String(b.metadata.creationTimestamp)) || a.metadata.name.localeCompare(b.metadata.name))
}

function describePods(pods: ObservedObject[]): string {
  if (pods.length === 0) return 'no pods'
  return pods
    .map((p) => {
      const waiting = ((p.status?.containerStatuses ?? []) as Array<{ name: string; state?: { waiting?: { reason?: string } } }>)
        .filter((c) => c.state?.waiting)
        .map((c) => `${c.name}:${c.state?.waiting?.reason}`)
      return `${p.metadata.name} ${podPhase(p)}${isPodReady(p) ? ' Ready' : ' NotReady'}${p.metadata.deletionTimestamp ? ' terminating' : ''}${waiting.length ? ` waiting(${waiting.join(',')})` : ''}`
    })
    .join(', ')
}

/**
 * A DaemonSet whose pods are scheduled, up to date and Ready on every node it wants (kubectl
 * rollout status's rule); with `desired`, only once it wants exactly that many.
 */
export function daemonSetReady(namespace: string, name: string, desired?: number): Condition<ObservedObject> {
  return condition(
    `daemonset ${name} runs a Ready pod on each of ${desired ?? 'its'} nodes`,
    { apiVersion: 'apps/v1', kind: 'DaemonSet', namespace, name },
    (objects) => {
      const ds = one(objects)
      if (!ds) return undefined
      const s = ds.status ?? {}
      const wanted = num(s.desiredNumberScheduled)
      const done =
        num(s.observedGeneration) >= num((ds.metadata as { generation?: number }).generation) &&
        num(s.updatedNumberScheduled) === wanted &&
        num(s.numberReady) === wanted &&
        num(s.numberMisscheduled) === 0
      return done && (desired === undefined || wanted === desired) ? ds : undefined
    },
    (objects) => objects.map((ds) => `status=${JSON.stringify(ds.status ?? {})}`).join('; '),
  )
}

/** Exactly one Ready pod matching the selector on each of `nodes`, and no other pod (elsewhere or terminating). */
export function onePodPerNode(namespace: string, labelSelector: string, nodes: string[]): Condition<ObservedObject[]> {
  const wanted = [...nodes].sort().join(',')
  return condition(
    `one Ready pod matching ${labelSelector} on each of ${nodes.join(', ')} and no other`,
    { apiVersion: 'v1', kind: 'Pod', namespace, labelSelector },
    (pods) => (pods.every(isPodReady) && pods.map((p) => String(p.spec?.nodeName)).sort().join(',') === wanted ? sortByCreation(pods) : undefined),
    (pods) => pods.map((p) => `${describePods([p])} on ${p.spec?.nodeName ?? '(unscheduled)'}`).join(', ') || 'no pods',
  )
}

/** Exactly `count` PersistentVolumeClaims match the selector, all Bound. */
export function claimsBound(namespace: string, labelSelector: string, count: number): Condition<ObservedObject[]> {
  return condition(
    `exactly ${count} claims matching ${labelSelector} are Bound`,
    { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace, labelSelector },
    (claims) => (claims.length === count && claims.every((c) => c.status?.phase === 'Bound') ? sortByCreation(claims) : undefined),
    (claims) => claims.map((c) => `${c.metadata.name} ${String(c.status?.phase ?? 'Unknown')}`).join(', ') || 'no claims',
  )
}

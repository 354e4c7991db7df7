// Waiting on the cluster: list + watch with a deadline, never sleeps or polling. A condition is a
// value (what it waits for, plus a predicate evaluated on every watch event); a timeout reports
// the condition, the last objects observed and the evidence the scenario collects.
import * as k8s from '@kubernetes/client-node'
import type { Clients } from './api.js'
import type { KubeObject } from './fixtures.js'
import { ImagePullError, pullFailures } from './image-pulls.js'
import { NodeLostError, dependentPods, followsNodeLosses, nodeLosses } from './node-loss.js'
import { runSettings } from './settings.js'

/** Which objects a condition observes. */
export interface Selection {
  apiVersion: string
  kind: string
  namespace?: string
  /** Watch one object by name. */
  name?: string
  labelSelector?: string
  fieldSelector?: string
}

/** A stored object as the API returns it. */
export type ObservedObject = KubeObject & {
  metadata: KubeObject['metadata'] & { uid: string; resourceVersion: string; creationTimestamp?: string; ownerReferences?: Array<{ kind: string; name: string; uid: string }>; deletionTimestamp?: string }
  status?: Record<string, unknown>
  spec?: Record<string, unknown>
}

export interface Condition<T> {
  /** A state phrase: "deployment my-nginx has 4 available replicas". */
  description: string
  selection: Selection
  /** Evaluated on every change with all objects currently observed; a defined result ends the wait. */
  check(objects: ObservedObject[]): T | undefined
  /** Why the objects do not satisfy the condition yet; shown on timeout. */
  explain?(objects: ObservedObject[]): string
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED'

export interface WatchHandlers {
  /** Once, with the complete state when the watch starts (the initial list). */
  onListed?(objects: ObservedObject[]): void
  /** Every change after the initial list, with the state after it. */
  onChange?(objects: ObservedObject[], type: WatchEventType, object: ObservedObject): void
  /** Transient trouble (a dropped watch, an expired resourceVersion); the watch goes on. */
  onTransientError?(error: unknown): void
  /**
   * The watch could not resume where it stopped (its resourceVersion expired) and re-listed:
   * what changed in between is known only by its net effect, delivered as changes after this.
   */
  onGap?(gap: ObservationGap): void
}

/** A span in which a watch saw no events and may have missed some (test process clock, ms). */
export interface ObservationGap {
  selection: string
  from: number
  to: number
}

export interface WatchHandle {
  /** Objects currently observed. */
  objects(): ObservedObject[]
  stop(): void
}

/** "Pod app=web in ns" — a selection as people read it. */
export function describeSelection(selection: Selection): string {
  const which = [selection.name, selection.labelSelector, selection.fieldSelector].filter(Boolean).join(' ')
  return `${selection.kind}${which ? ` ${which}` : 's'}${selection.namespace ? ` in ${selection.namespace}` : ''}`
}

/**
 * client-node aborts a watch that delivers nothing for 30 s, which a quiet selection does: the
 * server is asked to end it first, and it sends a bookmark 2 s before its deadline, so the watch
 * resumes from a current resourceVersion instead of one old enough to have expired (a gap).
 */
const SERVER_WATCH_TIMEOUT_S = 25

/**
 * Lists then watches a selection until stopped, keeping the current objects. The one rule for
 * transient API errors lives here: a watch that ends resumes from the last resourceVersion it saw
 * (the API server replays what happened meanwhile); only when that version has expired does it
 * re-list, and that is reported as a gap.
 */
export async function watchObjects(clients: Clients, selection: Selection, handlers: WatchHandlers): Promise<WatchHandle> {
  const resource = await clients.raw.resource(selection.apiVersion, selection.kind, selection.namespace)
  const query = new URLSearchParams()
  const fieldSelector = [selection.fieldSelector, selection.name ? `metadata.name=${selection.name}` : undefined].filter(Boolean).join(',')
  if (fieldSelector) query.set('fieldSelector', fieldSelector)
  if (selection.labelSelector) query.set('labelSelector', selection.labelSelector)
  const current = new Map<string, ObservedObject>()
  const watcher = new k8s.Watch(clients.kubeConfig)
  let stopped = false
  let abort: AbortController | undefined
  let lastResourceVersion = ''
  let expired = false
  let endedAt = 0
  const changed = (type: WatchEventType, object: ObservedObject) => handlers.onChange?.([...current.values()], type, object)

  /** Lists into `current`; after the first list, differences are delivered as changes. */
  const list = async (initial: boolean): Promise<string> => {
    const result = await clients.raw.request<{ items: ObservedObject[]; metadata: { resourceVersion: string } }>(
      'GET',
      `${resource.collectionPath}?${query}`,
    )
    const seen = new Set<string>()
    for (const item of result.items) {
      item.apiVersion ??= selection.apiVersion
      item.kind ??= selection.kind
      seen.add(item.metadata.uid)
      const previous = current.get(item.metadata.uid)
      current.set(item.metadata.uid, item)
      if (!initial && previous?.metadata.resourceVersion !== item.metadata.resourceVersion) changed(previous ? 'MODIFIED' : 'ADDED', item)
    }
    for (const [uid, item] of current) {
      if (!seen.has(uid)) {
        current.delete(uid)
        changed('DELETED', item)
      }
    }
    if (initial) handlers.onListed?.([...current.values()])
    return result.metadata.resourceVersion
  }

  const watchFrom = async (resourceVersion: string): Promise<void> => {
    if (stopped) return
    lastResourceVersion = resourceVersion
    abort = await watcher.watch(
      resource.collectionPath,
      { ...Object.fromEntries(query), resourceVersion, allowWatchBookmarks: true, timeoutSeconds: SERVER_WATCH_TIMEOUT_S },
      (type, object: ObservedObject & { code?: number }) => {
        if (type === 'ERROR') {
          // 410 Gone: the version we would resume from is no longer kept.
          if (object.code === 410) expired = true
          return
        }
        lastResourceVersion = object.metadata?.resourceVersion ?? lastResourceVersion
        if (type === 'BOOKMARK') return
        if (type === 'DELETED') current.delete(object.metadata.uid)
        else current.set(object.metadata.uid, object)
        changed(type as WatchEventType, object)
      },
      (error) => {
        if (stopped) return
        endedAt = Date.now()
        if (error) handlers.onTransientError?.(error)
        void resume()
      },
    )
    if (stopped) abort.abort()
  }

  // A watch ends on server timeouts and dropped connections: resume from the last version seen;
  // when that version expired, list again (catching up with the net effect) and report the gap.
  const resume = async (): Promise<void> => {
    for (let attempt = 0; !stopped; attempt++) {
      try {
        if (!expired) return await watchFrom(lastResourceVersion)
        const resourceVersion = await list(false)
        expired = false
        handlers.onGap?.({ selection: describeSelection(selection), from: endedAt, to: Date.now() })
        return await watchFrom(resourceVersion)
      } catch (error) {
        if (/\b410\b|expired|too old/i.test(String((error as Error)?.message ?? error))) expired = true
        handlers.onTransientError?.(error)
        await new Promise((r) => setTimeout(r, Math.min(200 * 2 ** attempt, 2000)))
      }
    }
  }

  await watchFrom(await list(true))
  return {
    objects: () => [...current.values()],
    stop() {
      stopped = true
      abort?.abort()
    },
  }
}

/** How long a shared watch outlives its last subscriber: waits follow each other closely. */
const SHARED_WATCH_LINGER_MS = 15_000

/**
 * One watch of a selection for the waits of a process running at the time (node losses, a
 * namespace's image pulls): started by the first subscriber, stopped a while after the last.
 * `observe` gets every state; `onStop` forgets what it derived from them.
 */
export class SharedWatch<Listener> {
  readonly listeners = new Set<Listener>()
  private watch?: Promise<WatchHandle | undefined>
  private idle?: NodeJS.Timeout

  constructor(
    private readonly clients: Clients,
    private readonly selection: Selection,
    private readonly observe: (objects: ObservedObject[]) => void,
    private readonly onStop: () => void = () => undefined,
  ) {}

  /** `listed` settles once the selection was listed (what was known before the subscriber came). */
  subscribe(listener: Listener): { listed: Promise<void>; unsubscribe: () => void } {
    clearTimeout(this.idle)
    this.listeners.add(listener)
    // A selection that cannot be watched (a borrowed cluster's RBAC): the waits still time out.
    this.watch ??= watchObjects(this.clients, this.selection, { onListed: this.observe, onChange: this.observe }).catch(() => undefined)
    return { listed: this.watch.then(() => undefined), unsubscribe: () => this.unsubscribe(listener) }
  }

  private unsubscribe(listener: Listener): void {
    this.listeners.delete(listener)
    if (this.listeners.size > 0) return
    this.idle = setTimeout(() => {
      const watch = this.watch
      this.watch = undefined
      this.onStop()
      void watch?.then((handle) => handle?.stop())
    }, SHARED_WATCH_LINGER_MS)
    this.idle.unref()
  }
}

/** A claim about what happened throughout a span whose observation had a gap: it cannot be decided. */
export class ObservationGapError extends Error {
  constructor(readonly gaps: readonly ObservationGap[]) {
    const spans = gaps.map((g) => `${g.selection}: ${new Date(g.from).toISOString().slice(11, 23)}–${new Date(g.to).toISOString().slice(11, 23)} (${g.to - g.from} ms)`)
    super(`undecided: the watch lost its place and re-listed, so changes in between are known only by their net effect; a claim that must hold throughout cannot be decided:\n  ${spans.join('\n  ')}`)
    this.name = 'ObservationGapError'
  }
}

export interface WaitOptions {
  /** How long to wait before failing; default the settings' timeouts.wait (120 s unless KUBE_SCENARIOS_TIMEOUTS says). */
  timeoutMs?: number
  /** Collected on timeout and attached to the error (events, logs...). Must not throw. */
  evidence?: () => Promise<string>
  onTransientError?: (error: unknown) => void
  /**
   * The scenario deploys an image that cannot be pulled on purpose (a rollout that must stall):
   * pull failures in the namespace do not end the wait. Default false: they fail it at once.
   */
  expectImagePullFailures?: boolean
}

/** A wait that ran out of time: what was awaited, what was last seen, and the evidence. */
export class WaitTimeoutError extends Error {
  constructor(
    readonly condition: string,
    readonly timeoutMs: number,
    readonly lastObserved: ObservedObject[],
    readonly explanation: string | undefined,
    readonly evidence: string | undefined,
  ) {
    super(
      [
        `timed out after ${(timeoutMs / 1000).toFixed(0)} s waiting until ${condition}`,
        explanation ? `last observed: ${explanation}` : undefined,
        lastObserved.length ? `objects:\n${lastObserved.map(summarizeObject).join('\n')}` : 'no matching object was observed',
        evidence,
      ]
        .filter(Boolean)
        .join('\n'),
    )
    this.name = 'WaitTimeoutError'
  }
}

/**
 * Waits until the condition holds, returning what its check returned. A node lost meanwhile (or
 * before) that runs pods of the wait's namespace ends it at once with NodeLostError; a pod of the
 * namespace whose image cannot be pulled, with ImagePullError.
 */
export async function waitFor<T>(clients: Clients, condition: Condition<T>, options: WaitOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? runSettings().timeouts.wait
  let handle: WatchHandle | undefined
  let last: ObservedObject[] = []
  let settle!: { resolve: (value: T) => void; reject: (error: unknown) => void }
  const done = new Promise<T>((resolve, reject) => (settle = { resolve, reject }))
  // It may settle (a node lost) while the watch is still starting, before the caller holds it.
  done.catch(() => undefined)
  let finished = false
  let timer: NodeJS.Timeout | undefined
  // Subscriptions may report at once (what is already known), before they are assigned.
  let losses = NOT_FOLLOWED
  let pulls = NOT_FOLLOWED
  const finish = (action: () => void) => {
    if (finished) return
    finished = true
    clearTimeout(timer)
    handle?.stop()
    losses.unsubscribe()
    pulls.unsubscribe()
    action()
  }
  const lossChecks: Array<Promise<void>> = []
  losses = followsNodeLosses(condition.selection)
    ? nodeLosses(clients).subscribe((loss) => {
        lossChecks.push(
          dependentPods(clients, condition.selection, loss.node).then(
            (pods) => void (pods && finish(() => settle.reject(new NodeLostError(loss, condition.description, pods)))),
            // The pods cannot be listed now (the API server is down too): the wait goes on.
            () => undefined,
          ),
        )
      })
    : NOT_FOLLOWED
  pulls =
    followsNodeLosses(condition.selection) && !options.expectImagePullFailures
      ? pullFailures(clients, condition.selection.namespace!).subscribe((failures) => finish(() => settle.reject(new ImagePullError(failures, condition.description))))
      : NOT_FOLLOWED
  if (finished) pulls.unsubscribe()
  if (!finished) timer = setTimeout(async () => {
    const evidence = options.evidence ? await options.evidence().catch(() => undefined) : undefined
    const explanation = condition.explain?.(last)
    finish(() => settle.reject(new WaitTimeoutError(condition.description, timeoutMs, last, explanation, evidence)))
  }, timeoutMs)

  try {
    // Pods of a node lost before the wait began cannot satisfy it: their status is the dead
    // node's last word. Those losses are decided before the first evaluation.
    await Promise.all([losses.listed, pulls.listed])
    await Promise.all(lossChecks)
    if (finished) return done
    const evaluate = (objects: ObservedObject[]) => {
        last = objects
        let result: T | undefined
        try {
          result = condition.check(objects)
        } catch (error) {
          finish(() => settle.reject(error))
          return
        }
        if (result !== undefined) finish(() => settle.resolve(result as T))
    }
    handle = await watchObjects(clients, condition.selection, {
      onListed: evaluate,
      onChange: evaluate,
      onTransientError: options.onTransientError,
    })
    if (finished) handle.stop()
  } catch (error) {
    finish(() => settle.reject(error))
  }
  return done
}

const NOT_FOLLOWED: { listed: Promise<void>; unsubscribe: () => void } = { listed: Promise.resolve(), unsubscribe: () => {} }

/** One line per object: kind/name plus its most telling status fields. */
export function summarizeObject(object: ObservedObject): string {
  const status = object.status ?? {}
  const interesting = ['phase', 'replicas', 'readyReplicas', 'availableReplicas', 'updatedReplicas', 'succeeded', 'failed', 'active', 'currentNumberScheduled', 'desiredNumberScheduled', 'numberReady']
  const fields = interesting.filter((k) => status[k] !== undefined).map((k) => `${k}=${JSON.stringify(status[k])}`)
  const conditions = Array.isArray(status.conditions)
    ? (status.conditions as Array<{ type: string; status: string; reason?: string }>).map((c) => `${c.type}=${c.status}${c.reason ? `(${c.reason})` : ''}`)
    : []
  const deleting = object.metadata.deletionTimestamp ? ['terminating'] : []
  return `  ${object.kind}/${object.metadata.name}: ${[...fields, ...conditions, ...deleting].join(' ') || '(no status)'}`
}

export interface RetryOptions {
  /** What is awaited, as a state phrase (for the timeout message). */
  description: string
  timeoutMs?: number
  /** Pause between attempts; default 500 ms. */
  retryMs?: number
}

/**
 * For what the API cannot watch (HTTP answers, metrics, logs): tries until `attempt` returns a
 * value, with a short pause between tries. `attempt` returns undefined (or throws) to mean "not
 * yet" and may return a reason that the timeout error shows as the last outcome.
 */
export async function retryUntil<T>(attempt: () => Promise<{ value?: T; reason?: string }>, options: RetryOptions): Promise<T> {
  const timeoutMs = options.timeoutMs ?? runSettings().timeouts.retry
  const deadline = Date.now() + timeoutMs
  let last = 'no attempt completed'
  while (Date.now() < deadline) {
    try {
      const { value, reason } = await attempt()
      if (value !== undefined) return value
      last = reason ?? 'not yet'
    } catch (error) {
      last = `failed: ${(error as Error).message}`
    }
    await new Promise((r) => setTimeout(r, options.retryMs ?? 500))
  }
  throw new Error(`timed out after ${(timeoutMs / 1000).toFixed(0)} s waiting until ${options.description}; last outcome: ${last}`)
}

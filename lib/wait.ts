// Waiting on the cluster: list + watch with a deadline, never sleeps or polling. A condition is a
// value (what it waits for, plus a predicate evaluated on every watch event); a timeout reports
// the condition, the last objects observed and the evidence the scenario collects.
import * as k8s from '@kubernetes/client-node'
import type { Clients } from './api.js'
import type { KubeObject } from './fixtures.js'

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
  /** Every change, after the observed set was updated. The initial list arrives as ADDED events. */
  onChange(objects: ObservedObject[], type: WatchEventType, object: ObservedObject): void
  /** Transient trouble (a dropped watch, an expired resourceVersion); the watch re-lists and goes on. */
  onTransientError?(error: unknown): void
}

export interface WatchHandle {
  /** Objects currently observed. */
  objects(): ObservedObject[]
  stop(): void
}

/**
 * Lists then watches a selection until stopped, keeping the current objects. The one rule for
 * transient API errors lives here: re-list, keep watching, report through onTransientError.
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

  const list = async (): Promise<string> => {
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
      if (previous?.metadata.resourceVersion !== item.metadata.resourceVersion) {
        handlers.onChange([...current.values()], previous ? 'MODIFIED' : 'ADDED', item)
      }
    }
    for (const [uid, item] of current) {
      if (!seen.has(uid)) {
        current.delete(uid)
        handlers.onChange([...current.values()], 'DELETED', item)
      }
    }
    return result.metadata.resourceVersion
  }

  const watchFrom = async (resourceVersion: string): Promise<void> => {
    if (stopped) return
    abort = await watcher.watch(
      resource.collectionPath,
      { ...Object.fromEntries(query), resourceVersion, allowWatchBookmarks: true },
      (type, object: ObservedObject) => {
        if (type === 'BOOKMARK' || type === 'ERROR') return
        if (type === 'DELETED') current.delete(object.metadata.uid)
        else current.set(object.metadata.uid, object)
        handlers.onChange([...current.values()], type as WatchEventType, object)
      },
      (error) => {
        if (stopped) return
        if (error) handlers.onTransientError?.(error)
        void resume()
      },
    )
    if (stopped) abort.abort()
  }

  // A watch ends on timeouts, expired resource versions and dropped connections: list again
  // (catching up with anything missed) and watch from there.
  const resume = async (): Promise<void> => {
    for (let attempt = 0; !stopped; attempt++) {
      try {
        await watchFrom(await list())
        return
      } catch (error) {
        handlers.onTransientError?.(error)
        await new Promise((r) => setTimeout(r, Math.min(200 * 2 ** attempt, 2000)))
      }
    }
  }

  await watchFrom(await list())
  return {
    objects: () => [...current.values()],
    stop() {
      stopped = true
      abort?.abort()
    },
  }
}

export const DEFAULT_WAIT_TIMEOUT_MS = 120_000

export interface WaitOptions {
  /** How long to wait before failing; default DEFAULT_WAIT_TIMEOUT_MS. */
  timeoutMs?: number
  /** Collected on timeout and attached to the error (events, logs...). Must not throw. */
  evidence?: () => Promise<string>
  onTransientError?: (error: unknown) => void
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

/** Waits until the condition holds, returning what its check returned. */
export async function waitFor<T>(clients: Clients, condition: Condition<T>, options: WaitOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS
  let handle: WatchHandle | undefined
  let last: ObservedObject[] = []
  let settle!: { resolve: (value: T) => void; reject: (error: unknown) => void }
  const done = new Promise<T>((resolve, reject) => (settle = { resolve, reject }))
  let finished = false
  const finish = (action: () => void) => {
    if (finished) return
    finished = true
    clearTimeout(timer)
    handle?.stop()
    action()
  }
  const timer = setTimeout(async () => {
    const evidence = options.evidence ? await options.evidence().catch(() => undefined) : undefined
    const explanation = condition.explain?.(last)
    finish(() => settle.reject(new WaitTimeoutError(condition.description, timeoutMs, last, explanation, evidence)))
  }, timeoutMs)

  try {
    handle = await watchObjects(clients, condition.selection, {
      onChange(objects) {
        last = objects
        let result: T | undefined
        try {
          result = condition.check(objects)
        } catch (error) {
          finish(() => settle.reject(error))
          return
        }
        if (result !== undefined) finish(() => settle.resolve(result as T))
      },
      onTransientError: options.onTransientError,
    })
    if (finished) handle.stop()
    else {
      // An empty initial list produces no change event: evaluate once on nothing.
      const result = condition.check(handle.objects())
      if (result !== undefined) finish(() => settle.resolve(result))
    }
  } catch (error) {
    finish(() => settle.reject(error))
  }
  return done
}

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
  const timeoutMs = options.timeoutMs ?? 60_000
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

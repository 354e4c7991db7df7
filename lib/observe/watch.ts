// Watching the cluster: a list, then a watch that resumes where it stopped (the one rule for
// transient API errors), one shared watch per selection for the waits of a process, and the gap a
// claim cannot see across.
import * as k8s from '@kubernetes/client-node'
import type { Clients } from '../api/client.js'
import type { KubeObject } from '../api/fixtures.js'

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

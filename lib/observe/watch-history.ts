// What happened to a selection, in order: every watch event kept, for claims about sequences that
// no single snapshot shows (a Job created, then finished, then pruned; one deleted before the next
// is created), and a wait on that sequence. Feed it from s.observe, started before the events.
import { runSettings } from '../config/settings.js'
import { ObservationGapError, type ObservationGap, type ObservedObject, type Selection, type WatchEventType } from './watch.js'

export interface HistoryEvent {
  /** When the event arrived (test process clock, ms). */
  at: number
  type: WatchEventType
  object: ObservedObject
}

/** A timeout of WatchHistory.until: what was awaited and every event recorded so far. */
export class HistoryTimeoutError extends Error {
  constructor(description: string, timeoutMs: number, events: readonly HistoryEvent[]) {
    const lines = events.map((e) => `  ${new Date(e.at).toISOString().slice(11, 23)} ${e.type} ${e.object.kind}/${e.object.metadata.name}`)
    super(`timed out after ${(timeoutMs / 1000).toFixed(0)} s waiting until ${description}\nrecorded events:\n${lines.join('\n') || '  (none)'}`)
    this.name = 'HistoryTimeoutError'
  }
}

/**
 * The events of one watch, in the order the API server sent them. Use it where a claim is about
 * the order of events: `const jobs = new WatchHistory(); await s.observe(jobs.watching(selection))`,
 * then `await jobs.until('two Jobs were created', (events) => ...)`. A gap in the watch (it had
 * to re-list) makes every later `until` reject: the order of what was missed is unknown.
 */
export class WatchHistory {
  readonly events: HistoryEvent[] = []
  private readonly listeners = new Set<() => void>()

  constructor(private readonly now: () => number = Date.now) {}

  readonly gaps: ObservationGap[] = []

  /** The observer that records into this history: pass it to s.observe or s.during. */
  watching(selection: Selection) {
    return { selection, onChange: this.record, onGap: this.gap }
  }

  /** Records one watch event (the observer's onChange). */
  readonly record = (_objects: ObservedObject[], type: WatchEventType, object: ObservedObject): void => {
    this.events.push({ at: this.now(), type, object })
    for (const listener of [...this.listeners]) listener()
  }

  /** Records that the watch re-listed (the observer's onGap). */
  readonly gap = (gap: ObservationGap): void => {
    this.gaps.push(gap)
    for (const listener of [...this.listeners]) listener()
  }

  /**
   * Resolves with the first defined result of `check` over the recorded events, evaluated now and
   * after every new event; rejects after timeoutMs (default: the `watchHistory` timeout) listing them.
   */
  until<T>(description: string, check: (events: readonly HistoryEvent[]) => T | undefined, options: { timeoutMs?: number } = {}): Promise<T> {
    const timeoutMs = options.timeoutMs ?? runSettings().timeouts.watchHistory
    return new Promise<T>((resolve, reject) => {
      const evaluate = () => {
        if (this.gaps.length) return finish(() => reject(new ObservationGapError(this.gaps)))
        let result: T | undefined
        try {
          result = check(this.events)
        } catch (error) {
          finish(() => reject(error))
          return
        }
        if (result !== undefined) finish(() => resolve(result))
      }
      const timer = setTimeout(() => finish(() => reject(new HistoryTimeoutError(description, timeoutMs, this.events))), timeoutMs)
      const finish = (settle: () => void) => {
        clearTimeout(timer)
        this.listeners.delete(evaluate)
        settle()
      }
      this.listeners.add(evaluate)
      evaluate()
    })
  }
}

// What happened during a scenario, in order, with timestamps: steps, watch events, counts over
// time, cluster Events, load samples. Scenarios record; the HTML report draws it.

export type TimelineEntry =
  | { at: number; type: 'step'; name: string; status: 'passed' | 'failed'; startedAt: number; error?: string }
  | { at: number; type: 'watch'; kind: string; name: string; event: string; detail?: string }
  | { at: number; type: 'sample'; series: string; value: number }
  | { at: number; type: 'event'; object: string; reason: string; message: string; eventType: string }
  | { at: number; type: 'interval'; series: string; label: string; startedAt: number; endedAt: number }
  | { at: number; type: 'note'; text: string }
  | { at: number; type: 'undecided'; claim: string; why: string }

/** Entry without its timestamp (the timeline stamps it). */
type Unstamped<E> = E extends TimelineEntry ? Omit<E, 'at'> : never

/** Append-only record of one scenario test; serialisable as is (it travels in vitest's task meta). */
export class Timeline {
  readonly entries: TimelineEntry[] = []

  constructor(private readonly now: () => number = Date.now) {}

  record(entry: Unstamped<TimelineEntry>, at: number = this.now()): void {
    this.entries.push({ ...entry, at } as TimelineEntry)
  }

  /** A value of a named series (replicas, ready pods, CPU %, latency) at this instant. */
  sample(series: string, value: number): void {
    this.record({ type: 'sample', series, value })
  }

  note(text: string): void {
    this.record({ type: 'note', text })
  }

  /** A claim of the recipe that what was observed cannot decide: the report shows it, never as passed. */
  undecided(claim: string, why: string): void {
    this.record({ type: 'undecided', claim, why })
  }

  /** Runs a named step, recording its duration and outcome; rethrows the step's error. */
  async step<T>(name: string, run: () => Promise<T> | T): Promise<T> {
    const startedAt = this.now()
    try {
      const result = await run()
      this.record({ type: 'step', name, status: 'passed', startedAt })
      return result
    } catch (error) {
      this.record({ type: 'step', name, status: 'failed', startedAt, error: (error as Error)?.message })
      throw error
    }
  }

  /** The values of one series, in time order. */
  series(name: string): Array<{ at: number; value: number }> {
    return this.entries.flatMap((e) => (e.type === 'sample' && e.series === name ? [{ at: e.at, value: e.value }] : []))
  }

  /** Entries sorted by time (watch callbacks may record slightly out of order). */
  sorted(): TimelineEntry[] {
    return [...this.entries].sort((a, b) => a.at - b.at)
  }
}

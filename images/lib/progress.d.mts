/** A running phase: `update(detail)` while it runs, then `done(detail)` (its duration in seconds) or `fail()`. */
export interface Phase {
  update(text: string): void
  done(text: string): number
  fail(): void
}
/** A build step's log: the lines it reports, one at a time. */
export type Log = (line: string) => void
export interface Progress {
  line(text: string): void
  phase(name: string, estimateS?: number): Phase
}
export declare function minutes(s: number): string
export declare function createProgress(options: { prefix: string; live?: boolean; write?: (text: string) => void; columns?: () => number }): Progress

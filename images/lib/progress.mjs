// Progress of long build steps, several of which may run at once. In a terminal one live line
// shows every running phase (counts, elapsed time, the estimate); in CI logs and pipes one line
// when a phase starts and one when it ends, and while phases run a line at least every minute
// (a 10-minute compile is not a silent log).
const LIVE_REFRESH_MS = 1000
const LOG_HEARTBEAT_MS = 60_000

/** @typedef {import('./progress.d.mts').Phase} Phase */
/** @typedef {import('./progress.d.mts').Log} Log */

// TypeScript importers read progress.d.mts; each export takes its type from there.

/** @param {number} ms */
const seconds = (ms) => `${Math.round(ms / 1000)} s`
/** @type {typeof import('./progress.d.mts').minutes} */
export const minutes = (s) => (s < 90 ? `${Math.round(s)} s` : `${Math.round(s / 60)} min`)

/**
 * live defaults to a terminal outside CI; columns is the terminal's width (the live line is cut to
 * it: a wrapped line could not be redrawn in place).
 * @type {typeof import('./progress.d.mts').createProgress}
 */
export function createProgress({
  prefix,
  live = Boolean(process.stdout.isTTY) && !process.env.CI,
  write = (/** @type {string} */ t) => process.stdout.write(t),
  columns = () => process.stdout.columns || 120,
}) {
  const started = Date.now()
  const stamp = () => `[${prefix} ${seconds(Date.now() - started).padStart(6)}]`
  /** @type {Set<{ name: string, started: number, budget: string, detail: string }>} */
  const running = new Set()
  /** @type {NodeJS.Timeout | undefined} */
  let timer
  const clearLive = () => live && running.size > 0 && write('\r\x1b[2K')
  const runningText = () => [...running].map((p) => `${p.name}: ${p.detail}${p.detail ? ', ' : ''}${seconds(Date.now() - p.started)}${p.budget}`).join(' | ')
  const render = () => write(`\r\x1b[2K${`${stamp()} ${runningText()}`.slice(0, Math.max(20, columns() - 1))}`)
  const heartbeat = () => write(`${stamp()} ${runningText()}\n`)
  /** @param {string} text */
  const line = (text) => {
    clearLive()
    write(`${stamp()} ${text}\n`)
  }
  /** @param {{ name: string, started: number, budget: string, detail: string }} phase */
  const finish = (phase) => {
    running.delete(phase)
    if (running.size === 0) {
      clearInterval(timer)
      timer = undefined
    }
  }
  return {
    line,
    /**
     * A phase: `update(detail)` while it runs (shown live, and in logs every minute), `done(detail)` once. An estimate in
     * seconds is shown beside the elapsed time.
     * @param {string} name
     * @param {number} [estimateS]
     * @returns {Phase}
     */
    phase(name, estimateS) {
      const phase = { name, started: Date.now(), budget: estimateS ? ` of ~${minutes(estimateS)}` : '', detail: '' }
      line(`${name}: started${estimateS ? ` (about ${minutes(estimateS)})` : ''}`)
      running.add(phase)
      if (!timer) {
        timer = live ? setInterval(render, LIVE_REFRESH_MS) : setInterval(heartbeat, LOG_HEARTBEAT_MS)
        timer.unref()
      }
      return {
        update(text) {
          phase.detail = text
        },
        done(text) {
          line(`${name}: ${text} in ${seconds(Date.now() - phase.started)}`)
          finish(phase)
          return (Date.now() - phase.started) / 1000
        },
        fail() {
          line(`${name}: failed after ${seconds(Date.now() - phase.started)}`)
          finish(phase)
        },
      }
    },
  }
}

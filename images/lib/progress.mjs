// Progress of long build steps. In a terminal one live line per running phase (counts, elapsed
// time, the estimate); in CI logs and pipes one line when a phase starts and one when it ends.
const LIVE_REFRESH_MS = 1000

/**
 * A running phase: `update(detail)` while it runs, then `done(detail)` (returns its duration in
 * seconds) or `fail()`.
 * @typedef {object} Phase
 * @property {(text: string) => void} update
 * @property {(text: string) => number} done
 * @property {() => void} fail
 */

/** @typedef {(line: string) => void} Log A build step's log: the lines it reports, one at a time. */

/** @param {number} ms */
const seconds = (ms) => `${Math.round(ms / 1000)} s`
/** @param {number} s */
export const minutes = (s) => (s < 90 ? `${Math.round(s)} s` : `${Math.round(s / 60)} min`)

/**
 * @param {{ prefix: string, live?: boolean, write?: (text: string) => void }} options
 *   live defaults to a terminal outside CI.
 */
export function createProgress({ prefix, live = Boolean(process.stdout.isTTY) && !process.env.CI, write = (t) => process.stdout.write(t) }) {
  const started = Date.now()
  const stamp = () => `[${prefix} ${seconds(Date.now() - started).padStart(6)}]`
  /** @param {string} text */
  const line = (text) => write(`${stamp()} ${text}\n`)
  return {
    line,
    /**
     * A phase: `update(detail)` while it runs (live only), `done(detail)` once. An estimate in
     * seconds is shown beside the elapsed time.
     * @param {string} name
     * @param {number} [estimateS]
     * @returns {Phase}
     */
    phase(name, estimateS) {
      const phaseStarted = Date.now()
      const budget = estimateS ? ` of ~${minutes(estimateS)}` : ''
      let detail = ''
      const render = () => write(`\r\x1b[2K${stamp()} ${name}: ${detail}${detail ? ', ' : ''}${seconds(Date.now() - phaseStarted)}${budget}`)
      line(`${name}: started${estimateS ? ` (about ${minutes(estimateS)})` : ''}`)
      const timer = live ? setInterval(render, LIVE_REFRESH_MS) : undefined
      timer?.unref()
      return {
        update(text) {
          detail = text
        },
        done(text) {
          clearInterval(timer)
          if (live) write('\r\x1b[2K')
          line(`${name}: ${text} in ${seconds(Date.now() - phaseStarted)}`)
          return (Date.now() - phaseStarted) / 1000
        },
        fail() {
          clearInterval(timer)
          if (live) write('\n')
        },
      }
    },
  }
}

// The one runner of build steps, for `npm run images` (build.mjs) and the conformance build
// (conformance.mjs): a step runs as a progress phase with this machine's estimate, its lines
// shown as it goes, and ends "built" (its time recorded for the next estimate) or "cached";
// a failure ends the phase as failed and is thrown on.

/** @typedef {import('./progress.mjs').Log} Log */
/** @typedef {import('./progress.mjs').Phase} Phase */
/** @typedef {ReturnType<typeof import('./progress.mjs').createProgress>} Progress */
/** @typedef {Awaited<ReturnType<typeof import('./timings.mjs').readTimings>>} Timings */

import { estimateOf, recordTiming } from './timings.mjs'

/**
 * A step: its name (the timing record's key) and its typical cold duration on 2 cores.
 * @typedef {object} Step
 * @property {string} name
 * @property {number} typicalS
 */

/** A line by which a part of a step says it built (or downloaded) something rather than found it cached. */
const REBUILT = /: built|downloaded/
/** A part's closing line, "<part>: built" or "<part>: cached". */
const PART = /^(.*): (built|cached)$/

/**
 * @param {{ progress: Progress, timings: Timings }} options
 */
export function stepRunner({ progress, timings }) {
  /**
   * Runs a step whose parts report themselves through its log: it is "built" when a part built
   * something, else "cached" (the closing line names up to five parts it built).
   * `estimate: false` shows no estimate (nothing is expected to change).
   * @template T
   * @param {Step} step
   * @param {(log: Log) => Promise<T>} build
   * @param {{ estimate?: boolean }} [options]
   * @returns {Promise<T>}
   */
  async function run(step, build, { estimate = true } = {}) {
    const phase = progress.phase(step.name, estimate ? estimateOf(timings, step.name, step.typicalS) : undefined)
    /** @type {string[]} */
    const built = []
    let cachedParts = 0
    let rebuilt = false
    /** @type {Log} */
    const log = (line) => {
      if (REBUILT.test(line)) rebuilt = true
      const part = PART.exec(line)
      if (part?.[2] === 'built') built.push(/** @type {string} */ (part[1]))
      else if (part) cachedParts++
      phase.update(line)
    }
    return finish(phase, step, () => build(log), () => {
      const parts = built.length && built.length <= 5 ? ` (${built.join(', ')}${cachedParts ? `; ${cachedParts} cached` : ''})` : ''
      return { text: `${rebuilt ? 'built' : 'cached'}${parts}`, record: rebuilt }
    })
  }

  /**
   * Runs a step known to be cached or not before it starts (a Go compile): a cached one runs
   * without a phase; otherwise its phase ends as `outcome` says from the result (default:
   * "built", its time recorded).
   * @template T
   * @param {Step} step
   * @param {boolean} cached
   * @param {(phase: Pick<Phase, 'update'>) => Promise<T>} build
   * @param {(result: T) => { text: string, record: boolean }} [outcome]
   * @returns {Promise<T>}
   */
  async function compile(step, cached, build, outcome = () => ({ text: 'built', record: true })) {
    if (cached) return build({ update() {} })
    const phase = progress.phase(step.name, estimateOf(timings, step.name, step.typicalS))
    return finish(phase, step, () => build(phase), outcome)
  }

  /**
   * @template T
   * @param {Phase} phase
   * @param {Step} step
   * @param {() => Promise<T>} build
   * @param {(result: T) => { text: string, record: boolean }} outcome
   * @returns {Promise<T>}
   */
  async function finish(phase, step, build, outcome) {
    /** @type {T} */
    let result
    try {
      result = await build()
    } catch (error) {
      phase.fail()
      throw error
    }
    const { text, record } = outcome(result)
    const seconds = phase.done(text)
    if (record) await recordTiming(timings, step.name, seconds)
    return result
  }

  return { run, compile }
}

// How long each build step took when it last ran on this machine, so that a build can say up
// front about how long it will take. One file for every build (the offline cluster's, the
// conformance suite's): step name -> Timing.
import path from 'node:path'
import { CACHE_DIR } from './paths.mjs'
import { readJsonTolerantly, updateJsonFile } from './state-files.mjs'

/** @typedef {import('./timings.d.mts').Timing} Timing */

export const TIMINGS_FILE = path.join(CACHE_DIR, 'build-timings.json')

/** The record of a whole cold build's wall time (its steps overlap: their sum is not it). */
export const COLD_BUILD_STEP = 'cold build, wall'

// TypeScript importers read timings.d.mts; each export takes its type from there.

/** Estimates only: an unreadable file is set aside and the build goes on with typical times. */
const TOLERANT = {
  consequence: 'the build estimates with typical times until it has measured its steps again',
  valid: (/** @type {unknown} */ value) => typeof value === 'object' && value !== null && !Array.isArray(value),
}

/**
 * Every step measured here (none: an empty record).
 * @type {typeof import('./timings.d.mts').readTimings}
 */
export async function readTimings() {
  return readJsonTolerantly(TIMINGS_FILE, TOLERANT) ?? {}
}

/**
 * The step's last measured duration (seconds), else its typical one.
 * @type {typeof import('./timings.d.mts').estimateOf}
 */
export function estimateOf(timings, step, typicalS) {
  return timings[step]?.seconds ?? typicalS
}

/**
 * Records a step's duration in `timings` and in the file, under its lock (steps of this build and
 * of other builds finish together).
 * @type {typeof import('./timings.d.mts').recordTiming}
 */
export async function recordTiming(timings, step, seconds) {
  const timing = { seconds: Math.round(seconds), at: new Date().toISOString() }
  timings[step] = timing
  await updateJsonFile(TIMINGS_FILE, (onDisk) => ({ ...(/** @type {Record<string, import('./timings.d.mts').Timing> | undefined} */ (onDisk)), [step]: timing }), TOLERANT)
}

// How long each build step took when it last ran on this machine, so that a build can say up
// front about how long it will take. One file for every build (the offline cluster's, the
// conformance suite's): step name -> Timing.
import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { CACHE_DIR } from './paths.mjs'

/** @typedef {import('./timings.d.mts').Timing} Timing */

export const TIMINGS_FILE = path.join(CACHE_DIR, 'build-timings.json')

/** The record of a whole cold build's wall time (its steps overlap: their sum is not it). */
export const COLD_BUILD_STEP = 'cold build, wall'

// TypeScript importers read timings.d.mts; each export takes its type from there.

/**
 * Every step measured here (none: an empty record).
 * @type {typeof import('./timings.d.mts').readTimings}
 */
export async function readTimings() {
  return existsSync(TIMINGS_FILE) ? JSON.parse(await readFile(TIMINGS_FILE, 'utf8')) : {}
}

/**
 * The step's last measured duration (seconds), else its typical one.
 * @type {typeof import('./timings.d.mts').estimateOf}
 */
export function estimateOf(timings, step, typicalS) {
  return timings[step]?.seconds ?? typicalS
}

/**
 * Records a step's duration in `timings` and in the file (re-read first: another build may have
 * recorded its own steps meanwhile).
 * @type {typeof import('./timings.d.mts').recordTiming}
 */
export async function recordTiming(timings, step, seconds) {
  timings[step] = { seconds: Math.round(seconds), at: new Date().toISOString() }
  const onDisk = await readTimings()
  await mkdir(CACHE_DIR, { recursive: true })
  await writeFile(TIMINGS_FILE, `${JSON.stringify({ ...onDisk, [step]: timings[step] }, null, 2)}\n`)
}

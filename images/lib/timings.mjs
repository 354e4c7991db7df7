// How long each build step took when it last ran on this machine, so that a build can say up
// front about how long it will take. One file for every build (the offline cluster's, the
// conformance suite's): step name -> Timing.
import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { CACHE_DIR } from './paths.mjs'

/**
 * A step's duration as last measured on this machine.
 * @typedef {object} Timing
 * @property {number} seconds
 * @property {string} at when it was measured (ISO 8601)
 */

export const TIMINGS_FILE = path.join(CACHE_DIR, 'build-timings.json')

/** @returns {Promise<Record<string, Timing>>} every step measured here (none: an empty record) */
export async function readTimings() {
  return existsSync(TIMINGS_FILE) ? JSON.parse(await readFile(TIMINGS_FILE, 'utf8')) : {}
}

/**
 * The step's last measured duration, else its typical one.
 * @param {Record<string, Timing>} timings
 * @param {string} step
 * @param {number} typicalS
 * @returns {number} seconds
 */
export function estimateOf(timings, step, typicalS) {
  return timings[step]?.seconds ?? typicalS
}

/**
 * Records a step's duration in `timings` and in the file (re-read first: another build may have
 * recorded its own steps meanwhile).
 * @param {Record<string, Timing>} timings
 * @param {string} step
 * @param {number} seconds
 */
export async function recordTiming(timings, step, seconds) {
  timings[step] = { seconds: Math.round(seconds), at: new Date().toISOString() }
  const onDisk = await readTimings()
  await mkdir(CACHE_DIR, { recursive: true })
  await writeFile(TIMINGS_FILE, `${JSON.stringify({ ...onDisk, [step]: timings[step] }, null, 2)}\n`)
}

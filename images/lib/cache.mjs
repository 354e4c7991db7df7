// Content-addressed build cache: a step's output lives in <cache>/<step>-<hash of its inputs>,
// so a warm machine skips every step whose inputs did not change.
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'

import { clearCommand, unmountUnder } from './mounts.mjs'
import { CACHE_DIR } from './paths.mjs'
import { withFileLock } from './state-files.mjs'

// TypeScript importers read cache.d.mts instead of this file: each exported function takes its
// type from there (`@type {typeof import('./cache.d.mts').name}`), so a mismatch fails the check.

export { CACHE_DIR }
export const IMAGES_DIR = path.dirname(path.dirname(new URL(import.meta.url).pathname))

/**
 * What images/ holds for `kube-scenarios conformance` alone (images/conformance.mjs builds it):
 * no part of the cluster, so a change to it leaves the cluster built.
 */
const CONFORMANCE_ONLY = ['conformance.mjs', 'conformance.d.mts', 'e2e']

/**
 * Hash of everything the offline cluster is built from (images/): recorded in the build's
 * manifest, so a cluster built from other sources (an older checkout, a newer package) is seen
 * as not built and is built again, step by cached step.
 * @type {typeof import('./cache.d.mts').sourcesHash}
 */
export function sourcesHash() {
  return hashInputs([IMAGES_DIR], { skip: (relative) => CONFORMANCE_ONLY.includes(relative) })
}

/**
 * Hash of files (contents, recursively for directories) and plain values, in the given order;
 * `skip` leaves out the paths (relative to their input) it is true for.
 * @type {typeof import('./cache.d.mts').hashInputs}
 */
export async function hashInputs(inputs, { skip = () => false } = {}) {
  const hash = createHash('sha256')
  for (const input of inputs) {
    if (typeof input === 'string' && input.startsWith('/') && existsSync(input)) await hashPath(hash, input, input, skip)
    else hash.update(JSON.stringify(input))
  }
  return hash.digest('hex').slice(0, 16)
}

/**
 * Names inside an input count relative to it: the same sources in another checkout hash alike.
 * @param {import('node:crypto').Hash} hash
 * @param {string} root
 * @param {string} file
 * @param {(relative: string) => boolean} skip
 * @returns {Promise<void>}
 */
async function hashPath(hash, root, file, skip) {
  const relative = path.relative(root, file)
  if (relative && skip(relative)) return
  hash.update(relative)
  if ((await stat(file)).isDirectory()) {
    for (const entry of (await readdir(file)).sort()) await hashPath(hash, root, path.join(file, entry), skip)
  } else {
    hash.update(await readFile(file))
  }
}

/**
 * Where a step's output for these inputs lives, and whether it is complete.
 * @type {typeof import('./cache.d.mts').stepState}
 */
export async function stepState(name, inputs) {
  const key = await hashInputs(inputs)
  const outDir = path.join(CACHE_DIR, `${name}-${key}`)
  return { outDir, key, cached: existsSync(path.join(outDir, COMPLETE_MARKER)) }
}

const COMPLETE_MARKER = '.complete'

/**
 * Runs `produce(outDir)` unless a completed output for these inputs exists; returns the
 * output directory either way. A failed or interrupted step leaves no completion marker. Builds
 * running at once build a step once: the others wait for its lock, then find it complete
 * (`builtElsewhere`); the lock of a builder that died is taken over at once. Whatever `produce`
 * mounted under the folder is unmounted when it ends, thrown or not, and when this process is
 * interrupted; what a killed build left mounted is unmounted before its half-built folder goes.
 * @type {typeof import('./cache.d.mts').cachedStep}
 */
export async function cachedStep(name, inputs, produce, { onWait = reportWaiting } = {}) {
  const state = await stepState(name, inputs)
  if (state.cached) return { ...state, builtElsewhere: false }
  const { outDir, key } = state
  let waited = false
  return withFileLock(
    outDir,
    async () => {
      if (existsSync(path.join(outDir, COMPLETE_MARKER))) return { outDir, key, cached: true, builtElsewhere: waited }
      await clearStep(outDir)
      await mkdir(outDir, { recursive: true })
      startBuilding(outDir)
      try {
        await produce(outDir, key)
      } catch (error) {
        stopBuilding(outDir)
        // The step's own error is the one to see; a mount it left that cannot go is said beside it.
        try {
          unmountUnder(outDir)
        } catch (unmountError) {
          console.error(`[images] ${/** @type {Error} */ (unmountError).message}`)
        }
        throw error
      }
      stopBuilding(outDir)
      unmountUnder(outDir)
      await writeFile(path.join(outDir, COMPLETE_MARKER), new Date().toISOString())
      return { outDir, key, cached: false, builtElsewhere: false }
    },
    {
      onWait: (owner) => {
        waited = true
        onWait(`waiting for ${name}, being built by another build (${owner})`)
      },
    },
  )
}

/**
 * Removes a half-built step folder, after unmounting what a killed build left in it; an error
 * names the folder and the command that clears it.
 * @param {string} outDir
 */
async function clearStep(outDir) {
  unmountUnder(outDir)
  try {
    await rm(outDir, { recursive: true, force: true })
  } catch (error) {
    throw new Error(`the build cache's ${outDir} cannot be removed (${/** @type {Error} */ (error).message}); clear it with: ${clearCommand(outDir)}`)
  }
}

/** Step folders whose `produce` runs in this process: unmounted on Ctrl-C or SIGTERM too. */
const building = new Set()

/** @type {NodeJS.Signals[]} */
const ENDING_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP']

/** @param {string} outDir */
function startBuilding(outDir) {
  if (building.size === 0) for (const signal of ENDING_SIGNALS) process.on(signal, unmountOnSignal)
  building.add(outDir)
}

/** @param {string} outDir */
function stopBuilding(outDir) {
  building.delete(outDir)
  if (building.size === 0) for (const signal of ENDING_SIGNALS) process.removeListener(signal, unmountOnSignal)
}

/**
 * On a signal that ends the build, what its running steps mounted is unmounted before it ends
 * (debootstrap's own trap does so only when it gets the signal too). The signal then takes its
 * course: raised again without this handler, so the process's other handlers (proper-lockfile's
 * signal-exit, which ends the process only when it is the last one) or the default action end it.
 * @param {NodeJS.Signals} signal
 */
function unmountOnSignal(signal) {
  for (const outDir of building) {
    try {
      unmountUnder(outDir)
    } catch (error) {
      console.error(`[images] ${/** @type {Error} */ (error).message}`)
    }
  }
  building.clear()
  for (const other of ENDING_SIGNALS) process.removeListener(other, unmountOnSignal)
  process.kill(process.pid, signal)
}

/**
 * A build waiting for another says so on its own line (also in CI logs, where a phase's live
 * detail is not shown).
 * @type {typeof import('./cache.d.mts').reportWaiting}
 */
export const reportWaiting = (line) => console.log(`[images] ${line}`)

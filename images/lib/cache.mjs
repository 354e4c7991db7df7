// Content-addressed build cache: a step's output lives in <cache>/<step>-<hash of its inputs>,
// so a warm machine skips every step whose inputs did not change.
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'

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
 * (`builtElsewhere`).
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
      await rm(outDir, { recursive: true, force: true })
      await mkdir(outDir, { recursive: true })
      await produce(outDir, key)
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
 * A build waiting for another says so on its own line (also in CI logs, where a phase's live
 * detail is not shown).
 * @type {typeof import('./cache.d.mts').reportWaiting}
 */
export const reportWaiting = (line) => console.log(`[images] ${line}`)

#!/usr/bin/env node
// One command builds everything the offline cluster runs (`npm run images`): the Go programs,
// the pod images, the node image. Each step is cached by the hash of its inputs; a warm machine
// rebuilds nothing. It says first what it will build and about how long that takes (this
// machine's last measured times, else typical 2-core times), then one progress phase per step.
// Writes the manifest the `local` cluster provider reads.
import { spawnSync } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { ensureDocker } from './engine/ensure-docker.mjs'
import { CACHE_DIR, LOCAL_MANIFEST } from './lib/paths.mjs'
import { sourcesHash } from './lib/cache.mjs'
import { createProgress, minutes } from './lib/progress.mjs'
import { estimateOf as estimateIn, readTimings, recordTiming } from './lib/timings.mjs'
import { GO_PROGRAMS, KUBERNETES_VERSION, buildGoProgram, goProgramCached } from './go-binaries.mjs'
import { buildClusterImages } from './cluster-images.mjs'
import { buildNodeImage } from './node-image.mjs'
import { renderAddons } from './addons.mjs'

/** @typedef {import('./lib/progress.mjs').Log} Log */
/** @typedef {import('./go-binaries.mjs').GoBins} GoBins */

/**
 * What the `local` cluster provider reads (lib/cluster/local.ts, its LocalManifest).
 * @typedef {object} LocalManifest
 * @property {string} nodeImage
 * @property {string} sources the hash of images/ it was built from (sourcesHash)
 * @property {string} kubernetesVersion
 * @property {Record<string, string>} imageOverrides upstream reference -> local reference
 * @property {string} kubectl the kubectl compiled with the cluster's components
 * @property {string} builtAt
 */

/** Steps after the Go programs, with their typical cold duration on 2 cores. */
const IMAGE_STEPS = { 'pod images': 75, 'add-ons': 1, 'node image': 55 }

const progress = createProgress({ prefix: 'images' })
const timings = await readTimings()
/**
 * @param {string} step
 * @param {number} typicalS
 * @returns {number}
 */
const estimateOf = (step, typicalS) => estimateIn(timings, step, typicalS)
/**
 * @param {string} step
 * @param {number} seconds
 */
const record = (step, seconds) => recordTiming(timings, step, seconds)

await ensureDocker()
await ensureBuildTools()

const toCompile = []
for (const program of GO_PROGRAMS) if (!(await goProgramCached(program))) toCompile.push(program)
const imagesMayChange = toCompile.length > 0
const estimateS =
  toCompile.reduce((sum, p) => sum + estimateOf(p.name, p.typicalS), 0) +
  (imagesMayChange ? Object.entries(IMAGE_STEPS).reduce((sum, [step, s]) => sum + estimateOf(step, s), 0) : 0)
progress.line(
  toCompile.length === 0
    ? `offline cluster: every Go program is cached (${GO_PROGRAMS.length}); checking the images`
    : `offline cluster: compiling ${toCompile.map((p) => p.name).join(', ')} (${GO_PROGRAMS.length - toCompile.length} of ${GO_PROGRAMS.length} cached), then the images: about ${minutes(estimateS)} ` +
        `(${Object.keys(timings).length ? 'as last measured on this machine' : 'typical for 2 cores, less with more'}); cache ${CACHE_DIR}`,
)

/** @type {GoBins} */
const goBins = {}
for (const program of GO_PROGRAMS) {
  const cached = !toCompile.includes(program)
  const phase = cached ? undefined : progress.phase(`go ${program.name}`, estimateOf(program.name, program.typicalS))
  try {
    goBins[program.name] = await buildGoProgram(program, phase ?? { update() {} })
  } catch (error) {
    phase?.fail()
    throw error
  }
  if (phase) await record(program.name, phase.done('compiled'))
}

/**
 * Runs an image step as a phase; its own lines say whether it was cached.
 * @template T
 * @param {keyof typeof IMAGE_STEPS} step
 * @param {(log: Log) => Promise<T>} build
 * @returns {Promise<T>}
 */
async function imageStep(step, build) {
  const phase = progress.phase(step, imagesMayChange ? estimateOf(step, IMAGE_STEPS[step]) : undefined)
  // Lines "<part>: built" / "<part>: cached" from the step; its closing line names what was rebuilt.
  /** @type {string[]} */
  const built = []
  let cachedParts = 0
  let rebuilt = false
  /** @type {Log} */
  const log = (line) => {
    if (/: built|downloaded/.test(line)) rebuilt = true
    const part = /^(.*): (built|cached)$/.exec(line)
    if (part?.[2] === 'built') built.push(/** @type {string} */ (part[1]))
    else if (part) cachedParts++
    phase.update(line)
  }
  try {
    const result = await build(log)
    const parts = built.length && built.length <= 5 ? ` (${built.join(', ')}${cachedParts ? `; ${cachedParts} cached` : ''})` : ''
    const seconds = phase.done(`${rebuilt ? 'built' : 'cached'}${parts}`)
    if (rebuilt) await record(step, seconds)
    return result
  } catch (error) {
    phase.fail()
    throw error
  }
}

const clusterImages = await imageStep('pod images', (log) => buildClusterImages({ goBins, log }))
const addons = await imageStep('add-ons', (log) => renderAddons({ images: clusterImages.refs, log }))
const nodeImage = await imageStep('node image', (log) => buildNodeImage({ goBins, clusterImages, addons, log }))

await writeManifest({
  nodeImage,
  sources: await sourcesHash(),
  kubernetesVersion: KUBERNETES_VERSION,
  imageOverrides: clusterImages.images,
  kubectl: path.join(/** @type {string} */ (goBins.kubernetes), 'kubectl'),
  builtAt: new Date().toISOString(),
})
progress.line(`done: ${LOCAL_MANIFEST} (node image ${nodeImage})`)

/** Go and debootstrap; debootstrap is installed where ensureDocker may install packages too. */
async function ensureBuildTools() {
  /** @param {string} command */
  const has = (command) => spawnSync(command, ['--version'], { stdio: 'ignore' }).error === undefined
  if (!has('go')) throw new Error('the offline cluster is compiled from Go modules: install Go 1.24 or newer (https://go.dev/dl) and run again')
  if (has('debootstrap')) return
  if (process.getuid?.() !== 0 || !has('apt-get')) throw new Error('the offline cluster\'s images are assembled with debootstrap: install it (Debian/Ubuntu: apt-get install debootstrap) and run again')
  progress.line('installing debootstrap')
  const install = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'debootstrap'], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
  if (install.status !== 0) throw new Error('apt-get install debootstrap failed; install it and run again')
}

/** @param {LocalManifest} manifest */
async function writeManifest(manifest) {
  await mkdir(path.dirname(LOCAL_MANIFEST), { recursive: true })
  await writeFile(LOCAL_MANIFEST, `${JSON.stringify(manifest, null, 2)}\n`)
}

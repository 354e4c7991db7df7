#!/usr/bin/env node
// One command builds everything the offline cluster runs (`npm run images`): the Go programs,
// the pod images, the node image. Each step is cached by the hash of its inputs; a warm machine
// rebuilds nothing. It says first what it will build and about how long that takes (this
// machine's last measured times, else typical 2-core times), then one progress phase per step.
// Writes the manifest the `local` cluster provider reads.
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { $ } from 'zx'
import { MACHINE_SETUP_LOCK, ensureDocker } from './engine/ensure-docker.mjs'
import { CACHE_DIR, LOCAL_MANIFEST } from './lib/paths.mjs'
import { sourcesHash } from './lib/cache.mjs'
import { withFileLock, writeFileAtomic } from './lib/state-files.mjs'
import { createProgress, minutes } from './lib/progress.mjs'
import { COLD_BUILD_STEP, estimateOf as estimateIn, readTimings, recordTiming } from './lib/timings.mjs'
import { stepRunner } from './lib/steps.mjs'
import { GO_PROGRAMS, KUBERNETES_VERSION, buildGoProgram, compileStandardLibrary, goProgramCached, resolveGoProgram } from './go-binaries.mjs'
import { buildClusterImages, imageSources, keepBaseImages } from './cluster-images.mjs'
import { buildNodeImage, nodeRootfs } from './node-image.mjs'
import { renderAddons } from './addons.mjs'

/** @typedef {import('./lib/progress.mjs').Log} Log */
/** @typedef {import('./go-binaries.mjs').GoBins} GoBins */
/** @typedef {import('./go-binaries.mjs').GoProgram} GoProgram */

/** @typedef {import('./lib/paths.mjs').LocalManifest} LocalManifest */

/** Steps after the Go programs, with their typical cold duration on 2 cores. */
const IMAGE_STEPS = {
  podImages: { name: 'pod images', typicalS: 12 },
  addons: { name: 'add-ons', typicalS: 1 },
  baseImages: { name: 'base images', typicalS: 4 },
  nodeImage: { name: 'node image', typicalS: 20 },
}
/** The steps before and beside the Go groups. */
const STANDARD_LIBRARY = { name: 'go standard library', typicalS: 70 }
const DEBIAN_FILES = { name: 'debian files', typicalS: 510 }

const progress = createProgress({ prefix: 'images' })
const timings = await readTimings()
const steps = stepRunner({ progress, timings })
/**
 * @param {string} step
 * @param {number} typicalS
 * @returns {number}
 */
const estimateOf = (step, typicalS) => estimateIn(timings, step, typicalS)

const buildStarted = Date.now()
ensureGo()
await ensureDocker({ log: (line) => progress.line(`engine: ${line}`) })
await ensureDebootstrap()

/** @type {GoProgram[]} */
const toCompile = []
for (const program of GO_PROGRAMS) if (!(await goProgramCached(program))) toCompile.push(program)
const imagesMayChange = toCompile.length > 0
// Modules compile side by side (on 2 cores each fills the others' idle moments: a download, a
// link, the narrow end of a graph), a module's later groups together after its first
// (compileGoPrograms). The Debian files arrive meanwhile. The estimate counts a module's groups
// one after another.
const tracks = [...new Set(toCompile.map((p) => p.module))].map((module) => toCompile.filter((p) => p.module === module))
const trackS = (/** @type {GoProgram[]} */ track) => track.reduce((sum, p) => sum + estimateOf(p.name, p.typicalS), 0)
const estimateS =
  (toCompile.length ? estimateOf(STANDARD_LIBRARY.name, STANDARD_LIBRARY.typicalS) : 0) +
  Math.max(0, ...tracks.map(trackS)) +
  (imagesMayChange ? Object.values(IMAGE_STEPS).reduce((sum, step) => sum + estimateOf(step.name, step.typicalS), 0) : 0)
progress.line(
  toCompile.length === 0
    ? `offline cluster: every Go program is cached (${GO_PROGRAMS.length}); checking the images`
    : `offline cluster: compiling ${tracks.map((t) => t.map((p) => p.name).join(' + ')).join(' beside ')} (${GO_PROGRAMS.length - toCompile.length} of ${GO_PROGRAMS.length} cached), then the images: about ${minutes(estimateS)} ` +
        `(${Object.keys(timings).length ? 'as last measured on this machine' : 'typical for 2 cores, less with more'}); cache ${CACHE_DIR}`,
)

// The Debian files the images are made of (network and disk), while the Go programs compile.
const debianFiles = inBackground(
  imagesMayChange
    ? steps.run(DEBIAN_FILES, async (log) => {
        await imageSources(log)
        await nodeRootfs(log)
      })
    : Promise.resolve(),
)
/** @type {GoBins} */
const goBins = {}
for (const program of GO_PROGRAMS) if (!toCompile.includes(program)) goBins[program.name] = (await buildGoProgram(program, { update() {} })).dir
if (toCompile.length) await compileGoPrograms()
await debianFiles

/**
 * A step that runs beside others and is awaited later: its failure ends the build at once (the
 * go commands still running are stopped as the process exits).
 * @template T
 * @param {Promise<T>} step
 * @returns {Promise<T>}
 */
function inBackground(step) {
  step.catch((error) => {
    console.error(error instanceof Error ? error.message : error)
    process.exit(1)
  })
  return step
}

/**
 * Compiles the groups side by side; first every group's modules are downloaded while the standard
 * library compiles. A module's later groups start together once its first group has finished:
 * they find the packages they share with it in Go's build cache.
 */
async function compileGoPrograms() {
  const resolved = new Map(toCompile.map((p) => [p, inBackground(resolveGoProgram(p))]))
  await steps.compile(STANDARD_LIBRARY, false, compileStandardLibrary, () => ({ text: 'compiled', record: true }))
  /** @type {Map<GoProgram, Promise<void>>} */
  const compiled = new Map()
  /** @param {GoProgram} program */
  const compileGroup = async (program) => {
    const step = { name: program.name, typicalS: program.typicalS }
    const { dir } = await steps.compile(
      step,
      false,
      (phase) => buildGoProgram(program, phase, resolved.get(program)),
      ({ compiledHere }) => (compiledHere ? { text: 'compiled', record: true } : { text: 'compiled by another build', record: false }),
    )
    goBins[program.name] = dir
  }
  for (const program of toCompile) {
    const firstDone = [...compiled].find(([p]) => p.module === program.module)?.[1]
    compiled.set(program, firstDone ? firstDone.then(() => compileGroup(program)) : compileGroup(program))
  }
  await Promise.all(compiled.values())
}

const clusterImages = await steps.run(IMAGE_STEPS.podImages, (log) => buildClusterImages({ goBins, log }), { estimate: imagesMayChange })
const addons = await steps.run(IMAGE_STEPS.addons, (log) => renderAddons({ images: clusterImages.refs, log }), { estimate: imagesMayChange })
await steps.run(IMAGE_STEPS.baseImages, keepBaseImages, { estimate: imagesMayChange })
const nodeImage = await steps.run(IMAGE_STEPS.nodeImage, (log) => buildNodeImage({ goBins, clusterImages, addons, log }), { estimate: imagesMayChange })

await writeManifest({
  nodeImage,
  sources: await sourcesHash(),
  kubernetesVersion: KUBERNETES_VERSION,
  imageOverrides: clusterImages.images,
  kubectl: path.join(/** @type {string} */ (goBins.kubernetes), 'kubectl'),
  builtAt: new Date().toISOString(),
})
// bench reads a cold build's wall time (the steps overlap: their sum is not it).
if (toCompile.length === GO_PROGRAMS.length) await recordTiming(timings, COLD_BUILD_STEP, (Date.now() - buildStarted) / 1000)
progress.line(`done: ${LOCAL_MANIFEST} (node image ${nodeImage}) in ${minutes((Date.now() - buildStarted) / 1000)}`)

function ensureGo() {
  if (!has('go')) throw new Error('the offline cluster is compiled from Go modules: install Go 1.24 or newer (https://go.dev/dl) and run again')
}

/**
 * The rootfs steps need debootstrap; installed after ensureDocker, which may install it. apt allows
 * one install at a time: builds running at once take turns (the engine's set-up lock).
 */
async function ensureDebootstrap() {
  if (has('debootstrap')) return
  if (process.getuid?.() !== 0 || !has('apt-get')) throw new Error('the offline cluster\'s images are assembled with debootstrap: install it (Debian/Ubuntu: apt-get install debootstrap) and run again')
  await withFileLock(MACHINE_SETUP_LOCK, async () => {
    if (has('debootstrap')) return
    progress.line('installing debootstrap')
    const install = await $({ nothrow: true, quiet: true, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })`apt-get install -y --no-install-recommends debootstrap`
    if (install.exitCode !== 0) throw new Error(`apt-get install debootstrap failed (${install.stderr.trim().split('\n').at(-1)}); install it and run again`)
  }, { onWait: (owner) => progress.line(`waiting for another build's set-up (${owner})`) })
}

/** @param {string} command */
function has(command) {
  return spawnSync(command, ['--version'], { stdio: 'ignore' }).error === undefined
}

/**
 * Atomically: a run reading it while another build finishes sees a whole manifest.
 * @param {LocalManifest} manifest
 */
async function writeManifest(manifest) {
  await writeFileAtomic(LOCAL_MANIFEST, `${JSON.stringify(manifest, null, 2)}\n`)
}

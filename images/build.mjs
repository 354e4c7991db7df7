#!/usr/bin/env zx
// One command builds everything the offline cluster runs (`npm run images`): the Go programs,
// the pod images, the node image. Each step is cached by the hash of its inputs; a warm machine
// rebuilds nothing. Writes the manifest the `local` cluster provider reads.
import { fs } from 'zx'
import path from 'node:path'
import { ensureDocker } from './engine/ensure-docker.mjs'
import { LOCAL_MANIFEST } from './lib/paths.mjs'
import { GO_PROGRAMS, KUBERNETES_VERSION, buildGoProgram } from './go-binaries.mjs'
import { buildClusterImages } from './cluster-images.mjs'
import { buildNodeImage } from './node-image.mjs'

const started = Date.now()
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s`
const total = GO_PROGRAMS.length + 3
let done = 0
const progress = (line) => console.log(`[images ${elapsed()}] ${line}`)
const stepDone = (line) => progress(`(${++done}/${total}) ${line}`)

await ensureDocker()
stepDone('container engine ready')

const goBins = {}
for (const program of GO_PROGRAMS) {
  progress(`go: ${program.name}…`)
  goBins[program.name] = await buildGoProgram(program, stepDone)
}

const clusterImages = await buildClusterImages({ goBins, log: progress })
stepDone(`pod images: ${Object.keys(clusterImages.images).length} references in ${clusterImages.archive}`)

const nodeImage = await buildNodeImage({ goBins, clusterImages, log: progress })
stepDone(`node image ${nodeImage}`)

await fs.outputJson(
  LOCAL_MANIFEST,
  { nodeImage, kubernetesVersion: KUBERNETES_VERSION, imageOverrides: clusterImages.images, builtAt: new Date().toISOString() },
  { spaces: 2 },
)
progress(`done: ${LOCAL_MANIFEST}`)

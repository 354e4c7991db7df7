// The images the offline cluster runs in pods, built from Debian packages and our Go binaries
// (no registry is reachable): each is a directory turned into an image by `docker import`, then
// all are saved into one docker-archive that the node imports into containerd at start.
import { $ } from 'zx'
import { rm } from 'node:fs/promises'
import path from 'node:path'
import { CACHE_DIR, cachedStep, hashInputs } from './lib/cache.mjs'
import { BASE_IMAGES } from './lib/cluster-constants.mjs'
import { DEFAULT_RELEASE } from './lib/kubernetes-releases.mjs'
import { withFileLock } from './lib/state-files.mjs'
import { debianPackageFile, debianRootfs } from './lib/rootfs.mjs'
import { PATH_ENV, POD_IMAGE_FILES, apacheHttpd, buildImage, copyGoBinary, debianSystem, goBinary, goProgram, localRef, nginxImage, withBusybox } from './image-recipes.mjs'

/** @typedef {import('./lib/progress.mjs').Log} Log */
/** @typedef {import('./go-binaries.mjs').GoBins} GoBins */
/** @typedef {import('./image-recipes.mjs').ClusterImage} ClusterImage */
/** @typedef {import('./image-recipes.mjs').GoBinary} GoBinary */
/** @typedef {import('./image-recipes.mjs').BuildContext} BuildContext */

const $q = $({ quiet: true })
/** The recipes are an input of every image built from them. */
export const RECIPES_FILE = new URL('./image-recipes.mjs', import.meta.url).pathname

/** Debian packages the small images take files from (never shipped whole). */
const SOURCE_PACKAGES = ['nginx', 'libnginx-mod-http-headers-more-filter', 'apache2', 'ca-certificates']



/**
 * What buildClusterImages returns. archive: path of the tar; images: the image-override map,
 * upstream reference -> local reference; refs: image name -> local reference (what the add-ons'
 * @image:NAME@ stands for).
 * @typedef {object} ClusterImages
 * @property {string} archive
 * @property {Record<string, string>} images
 * @property {Record<string, string>} refs
 */

const { coredns, metricsServer, localPathProvisioner, traefik } = DEFAULT_RELEASE.components

/** Every image (see ClusterImage). @type {ClusterImage[]} */
const IMAGES = [
  nginxImage('1.27', '1.27.5'),
  nginxImage('1.28', '1.28.0'),
  {
    name: 'busybox', tag: '1.36', upstream: ['busybox:1.36'],
    fill: withBusybox,
    cmd: ['sh'],
  },
  {
    name: 'debian', tag: '12', upstream: ['debian:12'],
    fill: debianSystem,
    cmd: ['bash'],
  },
  {
    name: 'echoserver', tag: '1.10', upstream: ['registry.k8s.io/echoserver:1.10'],
    go: { group: 'cluster-programs', binary: 'echoserver', at: '/usr/local/bin/echoserver' }, fill: goProgram,
    cmd: ['/usr/local/bin/echoserver'], expose: ['8080', '8443'],
  },
  {
    name: 'httpd', tag: '2.4', upstream: ['httpd:2.4'],
    users: { 'www-data': 33 }, // the official image's worker user
    fill: apacheHttpd,
    env: [`PATH=/usr/local/apache2/bin:${PATH_ENV.slice('PATH='.length)}`, 'HTTPD_PREFIX=/usr/local/apache2'],
    cmd: ['httpd-foreground'], workdir: '/usr/local/apache2', expose: ['80'],
  },
  {
    // The sandbox image of every pod: nothing but the binary, as upstream.
    name: 'pause', tag: '3.10', upstream: ['registry.k8s.io/pause:3.10'],
    go: { group: 'cluster-programs', binary: 'pause', at: '/pause' }, fill: copyGoBinary,
    entrypoint: ['/pause'], user: '65535:65535',
  },
  {
    name: 'coredns', tag: coredns.slice(1), upstream: [`registry.k8s.io/coredns/coredns:${coredns}`],
    go: { group: 'coredns', binary: 'coredns', at: '/coredns' }, fill: goProgram,
    entrypoint: ['/coredns'], expose: ['53', '53/udp'],
  },
  {
    name: 'metrics-server', tag: metricsServer.slice(1), upstream: [`registry.k8s.io/metrics-server/metrics-server:${metricsServer}`],
    go: { group: 'metrics-server', binary: 'metrics-server', at: '/metrics-server' }, fill: goProgram,
    entrypoint: ['/metrics-server'], user: '65534',
  },
  {
    // Upstream's manifests run it by name (`command: [local-path-provisioner, ...]`): keep it on PATH.
    name: 'local-path-provisioner', tag: localPathProvisioner.slice(1), upstream: [`rancher/local-path-provisioner:${localPathProvisioner}`],
    go: { group: 'local-path-provisioner', binary: 'local-path-provisioner', at: '/usr/bin/local-path-provisioner' },
    fill: goProgram,
    cmd: ['local-path-provisioner'],
  },
  {
    // The cluster's Ingress controller, as k3s ships it (add-on 40-traefik.yaml).
    name: 'traefik', tag: traefik.slice(1), upstream: [`traefik:${traefik}`, `rancher/mirrored-library-traefik:${traefik.slice(1)}`],
    go: { group: 'traefik', binary: 'traefik', at: '/usr/local/bin/traefik' }, fill: goProgram,
    entrypoint: ['/usr/local/bin/traefik'], expose: ['8000', '8080'],
  },
]

/**
 * Builds every image the offline cluster runs in pods, saves them into one docker-archive tar
 * (what `ctr -n k8s.io images import` takes), cached by content hash.
 * @param {{ goBins: GoBins, log: Log }} opts
 *   goBins maps a program group name to a directory of static binaries.
 * @returns {Promise<ClusterImages>}
 */
export async function buildClusterImages({ goBins, log }) {
  const ctx = await imageBuildContext({ goBins, log })
  const binaries = IMAGES.filter((i) => i.go).map((i) => goBinary(goBins, /** @type {GoBinary} */ (i.go)))
  // Rootfs directories are named by the hash of their package lists: their names stand for them.
  const rootfsKeys = { sources: path.basename(path.dirname(ctx.sources)), debian: path.basename(path.dirname(ctx.debian)) }
  const inputs = [new URL(import.meta.url).pathname, RECIPES_FILE, POD_IMAGE_FILES, rootfsKeys, ctx.busybox, ...binaries]
  const { outDir, cached } = await cachedStep('cluster-images', inputs, async (out) => {
    const staging = path.join(out, 'staging')
    for (const image of IMAGES) await buildImage(image, ctx, staging, log)
    const refs = IMAGES.map((i) => localRef(i.name, i.tag))
    await $q`docker save -o ${path.join(out, 'images.tar')} ${refs}`
    // The archive is the product; leaving the images in dockerd would only pile up old builds.
    await $q`docker rmi ${refs}`
    await rm(staging, { recursive: true, force: true })
  })
  log(`cluster images: ${cached ? 'cached' : 'built'}`)
  return { archive: path.join(outDir, 'images.tar'), images: overrideMap(), refs: localRefs() }
}

/** The label on a base image naming what it was made from: a different build replaces it. */
const BASE_INPUTS_LABEL = 'kube-scenarios.dev/inputs'

/**
 * Keeps the busybox and Debian images in Docker under their BASE_IMAGES names, for users'
 * Dockerfiles on a machine that can pull nothing (the cluster's own copies live in its archive).
 * @param {Log} log
 */
export async function keepBaseImages(log) {
  const sources = await imageSources(log)
  const ctx = { ...sources, goBins: {} }
  for (const [name, ref] of Object.entries(BASE_IMAGES)) {
    const image = IMAGES.find((i) => i.name === name)
    if (!image) throw new Error(`BASE_IMAGES names ${name}, which is no image of images/cluster-images.mjs`)
    const inputs = await hashInputs([new URL(import.meta.url).pathname, path.basename(path.dirname(sources.debian)), sources.busybox, ref])
    const current = async () => (await $q({ nothrow: true })`docker image inspect --format ${`{{index .Config.Labels "${BASE_INPUTS_LABEL}"}}`} ${ref}`).stdout.trim() === inputs
    if (await current()) {
      log(`base image ${ref}: cached`)
      continue
    }
    await withFileLock(path.join(CACHE_DIR, `base-image-${name}`), async () => {
      if (await current()) return log(`base image ${ref}: cached`)
      const staging = path.join(CACHE_DIR, `base-image-${name}-staging`)
      await rm(staging, { recursive: true, force: true })
      await buildImage({ ...image, labels: { [BASE_INPUTS_LABEL]: inputs } }, ctx, staging, log, ref)
      await rm(staging, { recursive: true, force: true })
    })
  }
}

/**
 * What every image's `fill` may take files from (the rootfs steps are cached).
 * @param {{ goBins: GoBins, log: Log }} opts
 * @returns {Promise<BuildContext>}
 */
export async function imageBuildContext({ goBins, log }) {
  return { ...(await imageSources(log)), goBins }
}

/**
 * The Debian files the images are made of (cached steps that need neither Go nor Docker, so the
 * build fetches them while it compiles).
 * @param {Log} log
 * @returns {Promise<Omit<BuildContext, 'goBins'>>}
 */
export async function imageSources(log) {
  return {
    sources: await debianRootfs('image-sources', SOURCE_PACKAGES, log),
    debian: await debianRootfs('debian-12', [], log),
    // Bookworm's busybox 1.35 crashes in `wget -T` (a timeout is how a blocked connection is
    // told from an open one); trixie's static 1.37 does not.
    busybox: await debianPackageFile('trixie', 'busybox-static', 'usr/bin/busybox', log),
  }
}

/**
 * The entry of IMAGES for an image name and tag, for builds that tag its contents otherwise.
 * @param {string} name
 * @param {string} tag
 * @returns {ClusterImage}
 */
export function clusterImage(name, tag) {
  const image = IMAGES.find((i) => i.name === name && i.tag === tag)
  if (!image) throw new Error(`no cluster image ${name}:${tag}`)
  return image
}

/**
 * Image name -> its local reference, for the add-ons' @image:NAME@ (a name with two tags: the last).
 * @returns {Record<string, string>}
 */
function localRefs() {
  return Object.fromEntries(IMAGES.map((i) => [i.name, localRef(i.name, i.tag)]))
}

/** @returns {Record<string, string>} upstream reference -> local reference */
function overrideMap() {
  return Object.fromEntries(IMAGES.flatMap((i) => i.upstream.map((ref) => [ref, localRef(i.name, i.tag)])))
}

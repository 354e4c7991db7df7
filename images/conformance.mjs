// What `kube-scenarios conformance` runs, built like the offline cluster (Go module proxy and
// Debian's archive, no registry) and cached the same way, but apart from it: `npm run images` and
// the chapter's tests never pay for it. Three parts:
// - the upstream e2e suite of the cluster's Kubernetes release as a test binary (images/e2e: a
//   wrapper module whose test package imports the suites the run selects) and the ginkgo CLI that
//   runs it in parallel, both from images/e2e/go.mod;
// - the test images its conformance specs run, tagged with their upstream names (so the suite
//   needs no image repository list): agnhost from the same module, the others from the pod
//   images' recipes (image-recipes.mjs);
// - their docker-archive, which the command loads into every node's containerd.
import { $ } from 'zx'
import { appendFile, chmod, mkdir, rm, symlink } from 'node:fs/promises'
import path from 'node:path'
import { ensureDocker } from './engine/ensure-docker.mjs'
import { IMAGES_DIR, cachedStep, stepState } from './lib/cache.mjs'
import { createProgress, minutes } from './lib/progress.mjs'
import { DEBIAN_MIRROR, debianRootfs } from './lib/rootfs.mjs'
import { stepRunner } from './lib/steps.mjs'
import { estimateOf, readTimings } from './lib/timings.mjs'
import { GO_PROGRAMS, KUBERNETES_VERSION, buildGoProgram, goOutput, goProgramCached, goRun, kubeVersionFlags } from './go-binaries.mjs'
import { RECIPES_FILE, clusterImage, imageBuildContext } from './cluster-images.mjs'
import { buildImage, copyInto, debianSystem, goProgram, nginxImage, withBusybox } from './image-recipes.mjs'

/** @typedef {import('./go-binaries.mjs').GoProgram} GoProgram */
/** @typedef {import('./go-binaries.mjs').GoBins} GoBins */
/** @typedef {import('./image-recipes.mjs').ClusterImage} ClusterImage */
/** @typedef {import('./lib/progress.mjs').Log} Log */
/** @typedef {import('./lib/progress.mjs').Phase} Phase */

const E2E_MODULE = 'e2e'
const E2E_MODULE_DIR = path.join(IMAGES_DIR, E2E_MODULE)
const THIS_FILE = new URL(import.meta.url).pathname

/**
 * ginkgo's CLI and the test images' programs of the same release: agnhost (the suite's
 * all-purpose image), nonewprivs (prints its effective uid, setuid), sample-apiserver (the
 * aggregator spec's API server).
 * @type {GoProgram}
 */
const E2E_TOOLS = {
  name: 'e2e-tools',
  module: E2E_MODULE,
  packages: ['github.com/onsi/ginkgo/v2/ginkgo', 'k8s.io/kubernetes/test/images/agnhost', 'k8s.io/kubernetes/test/images/nonewprivs', 'k8s.io/sample-apiserver'],
  typicalS: 150,
}
/** The e2e test binary's step: its name and typical cold duration with Kubernetes already compiled. */
const E2E_TEST = { name: 'e2e-test', typicalS: 520 }
/** The test images' step. */
const TEST_IMAGES_STEP = { name: 'test images', typicalS: 150 }

/** The cluster's program groups the test images (and kubectl) take binaries from, cached by `npm run images`. */
const CLUSTER_GROUPS = ['cluster-programs', 'coredns', 'kubernetes']

const E2E_REGISTRY = 'registry.k8s.io/e2e-test-images'
/** What upstream's agnhost image installs (alpine's bind-tools, curl, netcat-openbsd, iproute2, iperf, bash), from Debian. */
const AGNHOST_PACKAGES = ['bind9-dnsutils', 'curl', 'wget', 'netcat-openbsd', 'iproute2', 'iperf', 'procps', 'ca-certificates']
/** glibc-dns-testing is Debian (bookworm-slim) with dnsutils. */
const DNSUTILS_PACKAGES = ['dnsutils']

/**
 * Upstream's e2e busybox image is busybox.net's release built with its default configuration.
 * Debian's build is not that: its ash drops environment variables whose names are not shell
 * identifiers (a Debian patch), and the ConfigMap and Secret specs read such names through
 * `sh -c env`. So the release is compiled here, from the tarball Debian's archive serves as the
 * package's original source (the release tarball itself, checked by its hash).
 */
const UPSTREAM_BUSYBOX = {
  version: '1.37.0',
  url: `${DEBIAN_MIRROR}/pool/main/b/busybox/busybox_1.37.0.orig.tar.bz2`,
  sha256: '3311dff32e746499f4df0d5df04d7eb396382d7e108bb9250e7b519b837043a4',
  // Static like the official image's; minus what does not build against bookworm's headers
  // (tc: the kernel dropped CBQ) or its assembler (the SHA instructions).
  config: { CONFIG_STATIC: 'y', CONFIG_TC: 'n', CONFIG_SHA1_HWACCEL: 'n', CONFIG_SHA256_HWACCEL: 'n' },
}
const BUSYBOX_BUILD_PACKAGES = ['build-essential', 'bzip2']

/**
 * Builds (or finds in the cache) everything a conformance run needs (conformance.d.mts says
 * what), with one progress line per step as `npm run images` prints them; `log` gets what
 * Docker's set-up does.
 * @type {typeof import('./conformance.d.mts').buildConformance}
 */
export async function buildConformance({ log } = {}) {
  const progress = createProgress({ prefix: 'conformance build' })
  await ensureDocker(log ? { log } : {})
  const timings = await readTimings()
  const toolsCached = await goProgramCached(E2E_TOOLS)
  const testCached = (await stepState(`go-${E2E_TEST.name}`, await e2eTestInputs())).cached
  const compiling = [...(testCached ? [] : [E2E_TEST]), ...(toolsCached ? [] : [E2E_TOOLS])]
  const estimateS = compiling.reduce((sum, step) => sum + estimateOf(timings, step.name, step.typicalS), 0)
  progress.line(
    compiling.length === 0
      ? 'conformance suite: the e2e test binary, ginkgo and agnhost are cached; checking the test images'
      : `conformance suite: compiling ${compiling.map((s) => s.name).join(', ')} (Kubernetes ${KUBERNETES_VERSION}), then the test images: about ${minutes(estimateS + TEST_IMAGES_STEP.typicalS)} ` +
          `(${compiling.every((s) => timings[s.name]) ? 'as last measured on this machine' : 'typical for 2 cores once the cluster is built'})`,
  )

  const steps = stepRunner({ progress, timings })
  const e2eTest = await steps.compile(E2E_TEST, testCached, buildE2eTest)
  const tools = (await steps.compile(E2E_TOOLS, toolsCached, (phase) => buildGoProgram(E2E_TOOLS, phase))).dir

  /** @type {GoBins} */
  const goBins = { [E2E_TOOLS.name]: tools }
  for (const group of CLUSTER_GROUPS) {
    const program = GO_PROGRAMS.find((p) => p.name === group)
    if (!program) throw new Error(`images/go-binaries.mjs has no program group ${group}`)
    goBins[group] = (await buildGoProgram(program, { update() {} })).dir
  }

  const archive = await steps.run(TEST_IMAGES_STEP, (log) => buildTestImages(goBins, log), { estimate: compiling.length > 0 })
  return {
    e2eTest,
    ginkgo: path.join(tools, 'ginkgo'),
    kubectl: path.join(/** @type {string} */ (goBins.kubernetes), 'kubectl'),
    imagesArchive: archive.file,
    images: archive.refs,
    kubernetesVersion: KUBERNETES_VERSION,
  }
}

// ---- the e2e test binary ----

const E2E_LDFLAGS = `-s -w ${kubeVersionFlags}`

/** @returns {Promise<unknown[]>} what the test binary is compiled from (not the selection: it lives beside) */
async function e2eTestInputs() {
  const goVersion = (await goOutput(['env', 'GOVERSION'])).trim()
  return [goVersion, E2E_LDFLAGS, ...['go.mod', 'go.sum', 'e2e_test.go'].map((f) => path.join(E2E_MODULE_DIR, f))]
}

/**
 * `go test -c` of images/e2e, upstream's e2e.test but for the suites its test file imports.
 * @param {Pick<Phase, 'update'>} phase
 * @returns {Promise<string>} the binary
 */
async function buildE2eTest(phase) {
  const { outDir } = await cachedStep(`go-${E2E_TEST.name}`, await e2eTestInputs(), async (out) => {
    phase.update('resolving modules')
    const imports = (await goOutput(['list', '-f', '{{join .TestImports "\\n"}}', '.'], E2E_MODULE_DIR)).trim().split('\n')
    const total = (await goOutput(['list', '-deps', ...imports], E2E_MODULE_DIR)).trim().split('\n').length
    let compiled = 0
    // `go test -c` names no package it compiles: `go build -v` of the test's imports compiles
    // them first (into Go's build cache, where the test build then finds them), counting.
    await goRun(['build', '-v', ...imports], { cwd: E2E_MODULE_DIR, onPackage: () => phase.update(`${++compiled}/${total} packages compiled`) })
    phase.update('linking e2e.test')
    await goRun(['test', '-c', '-vet=off', '-ldflags', E2E_LDFLAGS, '-o', path.join(out, 'e2e.test'), '.'], { cwd: E2E_MODULE_DIR })
  })
  return path.join(outDir, 'e2e.test')
}

// ---- the test images ----

/**
 * Every image a v1.37 conformance spec runs (k8s.io/kubernetes/test/utils/image/manifest.go
 * names them), each under its upstream name.
 * @param {{ agnhostRootfs: string, dnsutilsRootfs: string, kubernetesDir: string, upstreamBusybox: string }} sources
 * @returns {ClusterImage[]}
 */
function testImages({ agnhostRootfs, dnsutilsRootfs, kubernetesDir, upstreamBusybox }) {
  /**
   * @param {ClusterImage} image
   * @param {string} ref
   * @returns {ClusterImage}
   */
  const as = (image, ref) => ({ ...image, upstream: [ref] })
  const porter = path.join(kubernetesDir, 'test/images/agnhost/porter')
  /** @type {ClusterImage} */
  const agnhostImage = {
    name: 'agnhost', tag: '2.66.1', upstream: [`${E2E_REGISTRY}/agnhost:2.66.1`],
    go: { group: E2E_TOOLS.name, binary: 'agnhost', at: '/agnhost' },
    fill: (dir, ctx, image) => agnhost(dir, ctx, image, { rootfs: agnhostRootfs, porter }),
    entrypoint: ['/agnhost'], cmd: ['pause'], expose: ['80', '8080', '8081', '9376', '5000'],
  }
  /**
   * agnhost with the picture and JSON file its test-webserver serves, as upstream's nautilus and
   * kitten images add them.
   * @param {string} name
   * @param {string} tag
   * @returns {ClusterImage}
   */
  const agnhostWithPictures = (name, tag) => ({
    ...agnhostImage, name, tag, upstream: [`${E2E_REGISTRY}/${name}:${tag}`],
    fill: async (dir, ctx, image) => {
      await agnhostImage.fill(dir, ctx, image)
      for (const file of [`${name}.jpg`, 'data.json']) await copyInto(dir, path.join(kubernetesDir, `test/images/${name}/html`, file), `/${file}`)
    },
    cmd: ['test-webserver'],
  })
  return [
    agnhostImage,
    // The image the rolling-update specs start from (they tell the two apart by name).
    as(agnhostImage, `${E2E_REGISTRY}/agnhost:2.55`),
    // kubectl's Update Demo.
    agnhostWithPictures('nautilus', '1.8'),
    // The ImageVolume spec (conformance since v1.36) mounts it as a volume, pulled with policy Always,
    // and reads Alpine's /etc/os-release from it: neither holds on this Debian-based, registry-less cluster yet.
    agnhostWithPictures('kitten', '1.8'),
    {
      // Upstream's is Debian with dnsutils (and CoreDNS, which no spec runs): the DNS specs' glibc prober.
      name: 'glibc-dns-testing', tag: '2.1.1', upstream: [`${E2E_REGISTRY}/glibc-dns-testing:2.1.1`],
      fill: (dir, ctx, image) => debianSystem(dir, { ...ctx, debian: dnsutilsRootfs }, image),
      cmd: ['bash'],
    },
    {
      // Upstream's is alpine with the program setuid root: a container that may not gain privileges keeps its own uid.
      name: 'nonewprivs', tag: '1.4', upstream: [`${E2E_REGISTRY}/nonewprivs:1.4`],
      go: { group: E2E_TOOLS.name, binary: 'nonewprivs', at: '/usr/local/bin/nnp' },
      fill: async (dir, ctx, image) => {
        await withBusybox(dir, ctx)
        await copyInto(dir, path.join(/** @type {string} */ (ctx.goBins[E2E_TOOLS.name]), 'nonewprivs'), '/usr/local/bin/nnp')
        await chmod(path.join(dir, 'usr/local/bin/nnp'), 0o4755)
      },
      cmd: ['nnp'],
    },
    // Upstream's is a Debian base whose default user is 1234.
    { ...as(clusterImage('busybox', '1.36'), `${E2E_REGISTRY}/nonroot:1.5`), user: '1234' },
    {
      name: 'sample-apiserver', tag: '1.29.2', upstream: [`${E2E_REGISTRY}/sample-apiserver:1.29.2`],
      go: { group: E2E_TOOLS.name, binary: 'sample-apiserver', at: '/sample-apiserver' }, fill: goProgram,
      entrypoint: ['/sample-apiserver'],
    },
    {
      // The aggregator spec's sample-apiserver keeps its objects in an etcd beside it: the cluster's own etcd build (3.7.0 too).
      name: 'etcd', tag: '3.7.0-0', upstream: ['registry.k8s.io/etcd:3.7.0-0'],
      go: { group: 'kubernetes', binary: 'etcd', at: '/usr/local/bin/etcd' }, fill: goProgram,
      expose: ['2379', '2380'],
    },
    {
      ...as(clusterImage('busybox', '1.36'), `${E2E_REGISTRY}/busybox:1.37.0-2`),
      fill: (dir, ctx, image) => withBusybox(dir, { ...ctx, busybox: upstreamBusybox }, image),
    },
    // Upstream's are nginx 1.27 and 1.28 on alpine; the specs only tell them apart by name.
    as(nginxImage('1.27.0-2', '1.27.0'), `${E2E_REGISTRY}/nginx:1.27.0-2`),
    as(nginxImage('1.28.0-2', '1.28.0'), `${E2E_REGISTRY}/nginx:1.28.0-2`),
    // The pause image specs run as a container (the sandbox image is the node's own).
    as(clusterImage('pause', '3.10'), 'registry.k8s.io/pause:3.10.2'),
  ]
}

/**
 * agnhost as upstream's Dockerfile lays it out, on Debian instead of alpine: the binary (also as
 * agnhost-2), CoreDNS at /coredns, porter's certificate, /uploads, the user and group the
 * supplemental-groups specs expect.
 * @param {string} dir
 * @param {import('./image-recipes.mjs').BuildContext} ctx
 * @param {ClusterImage} image
 * @param {{ rootfs: string, porter: string }} sources
 */
async function agnhost(dir, ctx, image, { rootfs, porter }) {
  await debianSystem(dir, { ...ctx, debian: rootfs }, image)
  await copyInto(dir, path.join(/** @type {string} */ (ctx.goBins[E2E_TOOLS.name]), 'agnhost'), '/agnhost')
  await symlink('agnhost', path.join(dir, 'agnhost-2'))
  await copyInto(dir, path.join(/** @type {string} */ (ctx.goBins.coredns), 'coredns'), '/coredns')
  for (const file of ['localhost.crt', 'localhost.key']) await copyInto(dir, path.join(porter, file), `/${file}`)
  await mkdir(path.join(dir, 'uploads'), { recursive: true })
  await appendFile(path.join(dir, 'etc/passwd'), 'user-defined-in-image:x:1000:1000::/home/user-defined-in-image:/bin/sh\n')
  await appendFile(path.join(dir, 'etc/group'), 'user-defined-in-image:x:1000:\ngroup-defined-in-image:x:50000:user-defined-in-image\n')
  await mkdir(path.join(dir, 'home/user-defined-in-image'), { recursive: true })
}

/**
 * Builds the test images into one docker-archive (cached by content hash).
 * @param {GoBins} goBins
 * @param {Log} log
 * @returns {Promise<{ file: string, refs: string[] }>}
 */
async function buildTestImages(goBins, log) {
  const ctx = await imageBuildContext({ goBins, log })
  const agnhostRootfs = await debianRootfs('e2e-agnhost', AGNHOST_PACKAGES, log)
  const dnsutilsRootfs = await debianRootfs('e2e-dnsutils', DNSUTILS_PACKAGES, log)
  const kubernetesDir = (await goOutput(['list', '-m', '-f', '{{.Dir}}', 'k8s.io/kubernetes'], E2E_MODULE_DIR)).trim()
  const upstreamBusybox = await buildUpstreamBusybox(log)
  const images = testImages({ agnhostRootfs, dnsutilsRootfs, kubernetesDir, upstreamBusybox })
  const refs = images.map((i) => /** @type {string} */ (i.upstream[0]))
  // Rootfs directories are named by the hash of their package lists: their names stand for them.
  const rootfsKeys = [ctx.sources, ctx.debian, agnhostRootfs, dnsutilsRootfs].map((r) => path.basename(path.dirname(r)))
  const binaries = images.flatMap((i) => (i.go ? [path.join(/** @type {string} */ (goBins[i.go.group]), i.go.binary)] : []))
  // The module directory is named by its version: the files taken from it (porter's certificate, the pictures) are its.
  const inputs = [THIS_FILE, path.join(IMAGES_DIR, 'cluster-images.mjs'), RECIPES_FILE, path.join(IMAGES_DIR, 'pod-images'), rootfsKeys, ctx.busybox, upstreamBusybox, kubernetesDir, refs, ...binaries]
  const { outDir, cached } = await cachedStep('e2e-images', inputs, async (out) => {
    const staging = path.join(out, 'staging')
    for (const image of images) await buildImage(image, ctx, staging, log, image.upstream[0])
    await $({ quiet: true })`docker save -o ${path.join(out, 'images.tar')} ${refs}`
    // The archive is the product; the images in dockerd would only pile up.
    await $({ quiet: true })`docker rmi ${refs}`
    await rm(staging, { recursive: true, force: true })
  })
  log(`test images: ${cached ? 'cached' : 'built'}`)
  return { file: path.join(outDir, 'images.tar'), refs }
}

/**
 * busybox.net's release compiled in a Debian rootfs with a C toolchain (cached by version and
 * configuration).
 * @param {Log} log
 * @returns {Promise<string>} the static binary
 */
async function buildUpstreamBusybox(log) {
  const builder = await debianRootfs('busybox-build', BUSYBOX_BUILD_PACKAGES, log)
  const inputs = [UPSTREAM_BUSYBOX, path.basename(path.dirname(builder))]
  const { outDir, cached } = await cachedStep(`busybox-${UPSTREAM_BUSYBOX.version}`, inputs, async (out) => {
    const tarball = path.join(out, 'busybox.tar.bz2')
    await $({ quiet: true })`curl -fsSL --retry 3 -o ${tarball} ${UPSTREAM_BUSYBOX.url}`
    const sha256 = (await $({ quiet: true })`sha256sum ${tarball}`).stdout.split(' ')[0]
    if (sha256 !== UPSTREAM_BUSYBOX.sha256) throw new Error(`${UPSTREAM_BUSYBOX.url}: sha256 ${sha256}, expected ${UPSTREAM_BUSYBOX.sha256} (busybox ${UPSTREAM_BUSYBOX.version}'s release tarball)`)
    // Built inside the builder's rootfs (its toolchain, not this machine's), in a directory of its own there.
    const work = `/tmp/busybox-${path.basename(out)}`
    await rm(path.join(builder, work), { recursive: true, force: true })
    await mkdir(path.join(builder, work), { recursive: true })
    await $({ quiet: true })`tar xjf ${tarball} -C ${path.join(builder, work)} --strip-components=1`
    const edits = Object.entries(UPSTREAM_BUSYBOX.config)
      .map(([key, value]) => (value === 'y' ? `-e 's/^# ${key} is not set$/${key}=y/'` : `-e 's/^${key}=y$/# ${key} is not set/'`))
      .join(' ')
    try {
      await $({ quiet: true })`chroot ${builder} sh -c ${`cd ${work} && make defconfig >/dev/null && sed -i ${edits} .config && make -j"$(nproc)" busybox >/dev/null`}`
      await copyInto(out, path.join(builder, work, 'busybox'), '/busybox')
    } finally {
      await rm(path.join(builder, work), { recursive: true, force: true })
      await rm(tarball, { force: true })
    }
  })
  log(`busybox ${UPSTREAM_BUSYBOX.version} (busybox.net's release): ${cached ? 'cached' : 'built'}`)
  return path.join(outDir, 'busybox')
}

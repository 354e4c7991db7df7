// The images the offline cluster runs in pods, built from Debian packages and our Go binaries
// (no registry is reachable): each is a directory turned into an image by `docker import`, then
// all are saved into one docker-archive that the node imports into containerd at start.
import { $ } from 'zx'
import { chmod, copyFile, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { CACHE_DIR, IMAGES_DIR, cachedStep, hashInputs } from './lib/cache.mjs'
import { BASE_IMAGES } from './lib/cluster-constants.mjs'
import { withFileLock } from './lib/state-files.mjs'
import { fillPlaceholders } from './lib/placeholders.mjs'
import { debianPackageFile, debianRootfs } from './lib/rootfs.mjs'
import { TRAEFIK_VERSION } from './go-binaries.mjs'

/** @typedef {import('./lib/progress.mjs').Log} Log */
/** @typedef {import('./go-binaries.mjs').GoBins} GoBins */

const $q = $({ quiet: true })

/** Debian packages the small images take files from (never shipped whole). */
const SOURCE_PACKAGES = ['nginx', 'libnginx-mod-http-headers-more-filter', 'apache2', 'ca-certificates']

export const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
const HEADERS_MORE_MODULE = '/usr/lib/nginx/modules/ngx_http_headers_more_filter_module.so'

/**
 * @param {string} name
 * @param {string} tag
 */
const localRef = (name, tag) => `localhost/kube-scenarios/${name}:${tag}`

/**
 * An entry of IMAGES: `upstream` lists the references it stands in for (the override map);
 * `fill(dir, ctx, image)` writes its filesystem into an empty directory; `go` names the Go binary
 * it ships (group in goBins, file name, path in the image); `users` adds accounts; the rest
 * (entrypoint, cmd, env, workdir, user, expose) is its image config.
 * @typedef {object} ClusterImage
 * @property {string} name
 * @property {string} tag
 * @property {string[]} upstream
 * @property {(dir: string, ctx: BuildContext, image: ClusterImage) => Promise<void>} fill
 * @property {GoBinary} [go]
 * @property {Record<string, number>} [users] account name -> uid (= gid)
 * @property {string[]} [entrypoint]
 * @property {string[]} [cmd]
 * @property {string[]} [env] `NAME=value`
 * @property {string} [workdir]
 * @property {string} [user]
 * @property {string[]} [expose] `port` or `port/protocol`
 * @property {Record<string, string>} [labels]
 */

/**
 * A Go binary an image ships.
 * @typedef {object} GoBinary
 * @property {string} group its program group (a key of GoBins)
 * @property {string} binary its file name in the group's directory
 * @property {string} at its path in the image
 */

/**
 * What every image's `fill` may take files from.
 * @typedef {object} BuildContext
 * @property {string} sources a rootfs with SOURCE_PACKAGES installed
 * @property {string} debian a plain Debian rootfs
 * @property {string} busybox the busybox-static binary
 * @property {GoBins} goBins
 */

/**
 * What buildClusterImages returns. archive: path of the tar; images: the image-override map,
 * upstream reference -> local reference; refs: image name -> local reference (what the add-ons'
 * @image:NAME@ stands for).
 * @typedef {object} ClusterImages
 * @property {string} archive
 * @property {Record<string, string>} images
 * @property {Record<string, string>} refs
 */

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
    name: 'coredns', tag: '1.12.4', upstream: ['registry.k8s.io/coredns/coredns:v1.12.4'],
    go: { group: 'coredns', binary: 'coredns', at: '/coredns' }, fill: goProgram,
    entrypoint: ['/coredns'], expose: ['53', '53/udp'],
  },
  {
    name: 'metrics-server', tag: '0.8.0', upstream: ['registry.k8s.io/metrics-server/metrics-server:v0.8.0'],
    go: { group: 'metrics-server', binary: 'metrics-server', at: '/metrics-server' }, fill: goProgram,
    entrypoint: ['/metrics-server'], user: '65534',
  },
  {
    // Upstream's manifests run it by name (`command: [local-path-provisioner, ...]`): keep it on PATH.
    name: 'local-path-provisioner', tag: '0.0.30', upstream: ['rancher/local-path-provisioner:v0.0.30'],
    go: { group: 'local-path-provisioner', binary: 'local-path-provisioner', at: '/usr/bin/local-path-provisioner' },
    fill: goProgram,
    cmd: ['local-path-provisioner'],
  },
  {
    // The cluster's Ingress controller, as k3s ships it (add-on 40-traefik.yaml).
    name: 'traefik', tag: TRAEFIK_VERSION.slice(1), upstream: [`traefik:${TRAEFIK_VERSION}`, `rancher/mirrored-library-traefik:${TRAEFIK_VERSION.slice(1)}`],
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
  const inputs = [new URL(import.meta.url).pathname, POD_IMAGE_FILES, rootfsKeys, ctx.busybox, ...binaries]
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

/**
 * Fills a directory under `staging` with the image's files and imports it into Docker as `ref`.
 * @param {ClusterImage} image
 * @param {BuildContext} ctx
 * @param {string} staging
 * @param {Log} log
 * @param {string} [ref] default its local reference
 */
export async function buildImage(image, ctx, staging, log, ref = localRef(image.name, image.tag)) {
  const dir = path.join(staging, ref.replaceAll(/[/:]/g, '_'))
  await mkdir(dir, { recursive: true })
  await image.fill(dir, ctx, image)
  await $q`tar -C ${dir} --numeric-owner -c . | docker import ${importChanges(image).flatMap((c) => ['--change', c])} - ${ref}`
  log(`image ${ref}: built`)
}

/**
 * Dockerfile-style instructions that `docker import` turns into the image config.
 * @param {ClusterImage} image
 * @returns {string[]}
 */
function importChanges({ entrypoint, cmd, env = [], workdir, user, expose = [], labels = {} }) {
  return [
    ...Object.entries(labels).map(([k, v]) => `LABEL ${k}=${v}`),
    `ENV ${PATH_ENV}`,
    ...env.map((e) => `ENV ${e}`),
    ...(entrypoint ? [`ENTRYPOINT ${JSON.stringify(entrypoint)}`] : []),
    ...(cmd ? [`CMD ${JSON.stringify(cmd)}`] : []),
    ...(workdir ? [`WORKDIR ${workdir}`] : []),
    ...(user ? [`USER ${user}`] : []),
    ...expose.map((p) => `EXPOSE ${p}`),
  ]
}

// ---- image contents ----

/**
 * Debian's nginx laid out like the official image (config in conf.d, html in /usr/share/nginx,
 * logs to stdout/stderr). Both tags share the binary; they differ in the version they report
 * (Server header, /etc/image-version, NGINX_VERSION), as the upstream tags do.
 * @param {string} tag
 * @param {string} version
 * @returns {ClusterImage}
 */
export function nginxImage(tag, version) {
  return {
    name: 'nginx', tag, upstream: [`nginx:${tag}`],
    users: { nginx: 101 }, // the official image's worker user
    fill: async (dir, ctx, image) => {
      await withBusybox(dir, ctx, image)
      await copyBinary(ctx.sources, '/usr/sbin/nginx', dir)
      await copyBinary(ctx.sources, HEADERS_MORE_MODULE, dir)
      for (const file of [...NGINX_INCLUDES.map((f) => `/etc/nginx/${f}`), '/usr/share/nginx/html/index.html']) {
        await copyInto(dir, path.join(ctx.sources, file), file)
      }
      await writeFiles(dir, {
        '/etc/nginx/nginx.conf': await podImageFile('nginx/nginx.conf', { NGINX_VERSION: version, HEADERS_MORE_MODULE }),
        '/etc/nginx/conf.d/default.conf': await podImageFile('nginx/default.conf'),
        '/usr/share/nginx/html/50x.html': await podImageFile('nginx/50x.html'),
        '/etc/image-version': `nginx ${version}\n`,
      })
      // Temp files go to /var/lib/nginx (compiled in); the pid file to /run.
      for (const d of ['/var/lib/nginx', '/var/cache/nginx', '/var/log/nginx', '/run']) await mkdir(path.join(dir, d), { recursive: true })
      await symlink('/dev/stdout', path.join(dir, 'var/log/nginx/access.log'))
      await symlink('/dev/stderr', path.join(dir, 'var/log/nginx/error.log'))
    },
    cmd: ['nginx', '-g', 'daemon off;'], env: [`NGINX_VERSION=${version}`], expose: ['80'],
  }
}

/** Files the official image has in /etc/nginx that configurations commonly include. */
const NGINX_INCLUDES = ['mime.types', 'fastcgi_params', 'scgi_params', 'uwsgi_params']




/**
 * Debian's Apache httpd 2.4 in the official httpd image's layout: /usr/local/apache2, `httpd-foreground`.
 * @type {ClusterImage['fill']}
 */
async function apacheHttpd(dir, ctx, image) {
  await withBusybox(dir, ctx, image)
  await copyBinary(ctx.sources, '/usr/sbin/apache2', dir)
  // Debian's binary reads /etc/apache2/apache2.conf; the official image's path names the same file.
  const conf = await podImageFile('httpd/httpd.conf')
  for (const [, module] of conf.matchAll(/^LoadModule \S+ (\S+)$/gm)) await copyBinary(ctx.sources, /** @type {string} */ (module), dir)
  // glibc loads libgcc_s when a thread exits, so ldd does not list it.
  const libgcc = (await $q`chroot ${ctx.sources} ldconfig -p`).stdout.match(/libgcc_s\.so\.1 \(.*\) => (\S+)/)?.[1]
  if (!libgcc) throw new Error('libgcc_s.so.1 is not in the image sources rootfs')
  await copyBinary(ctx.sources, libgcc, dir)
  await copyInto(dir, path.join(ctx.sources, 'etc/mime.types'), '/etc/mime.types')
  await writeFiles(dir, {
    '/etc/apache2/apache2.conf': conf,
    '/usr/local/apache2/htdocs/index.html': await podImageFile('httpd/index.html'),
  })
  await copyInto(dir, path.join(POD_IMAGE_FILES, 'httpd/httpd-foreground'), '/usr/local/bin/httpd-foreground')
  await chmod(path.join(dir, 'usr/local/bin/httpd-foreground'), 0o755)
  for (const d of ['conf', 'bin', 'logs']) await mkdir(path.join(dir, 'usr/local/apache2', d), { recursive: true })
  await symlink('/etc/apache2/apache2.conf', path.join(dir, 'usr/local/apache2/conf/httpd.conf'))
  await symlink('/usr/sbin/apache2', path.join(dir, 'usr/local/apache2/bin/httpd'))
}

/** The contents of the pod images (configs, pages, scripts): files, not strings in this module. */
const POD_IMAGE_FILES = path.join(IMAGES_DIR, 'pod-images')

/**
 * A file of images/pod-images with its placeholders filled in.
 * @param {string} relative
 * @param {Record<string, string>} [values]
 */
async function podImageFile(relative, values = {}) {
  return fillPlaceholders(`images/pod-images/${relative}`, await readFile(path.join(POD_IMAGE_FILES, relative), 'utf8'), { values })
}

/**
 * A real Debian system (dpkg database included), minus what belongs to the build host.
 * @type {ClusterImage['fill']}
 */
export async function debianSystem(dir, ctx) {
  await $q`cp -a ${ctx.debian}/. ${dir}`
  // The runtime provides /dev and the resolver config; debootstrap copied the build host's.
  await $q`find ${path.join(dir, 'dev')} -mindepth 1 -delete`
  await rm(path.join(dir, 'etc/resolv.conf'), { force: true })
}

/**
 * @param {GoBins} goBins
 * @param {GoBinary} go
 */
const goBinary = (goBins, { group, binary }) => path.join(/** @type {string} */ (goBins[group]), binary)

/**
 * Fills an image with its Go binary (`go`) and nothing else.
 * @type {ClusterImage['fill']}
 */
async function copyGoBinary(dir, ctx, image) {
  await copyInto(dir, goBinary(ctx.goBins, /** @type {GoBinary} */ (image.go)), /** @type {GoBinary} */ (image.go).at)
}

/**
 * A static Go binary with what Go programs read from the system: CA certificates, users, /tmp.
 * @type {ClusterImage['fill']}
 */
export async function goProgram(dir, ctx, image) {
  await copyGoBinary(dir, ctx, image)
  await copyInto(dir, path.join(ctx.sources, '/etc/ssl/certs/ca-certificates.crt'), '/etc/ssl/certs/ca-certificates.crt')
  await writeAccounts(dir)
}

/**
 * busybox-static with every applet linked in /bin (like the official busybox image), the image's
 * `users` on top of the common accounts, /tmp.
 * @param {string} dir
 * @param {BuildContext} ctx
 * @param {Pick<ClusterImage, 'users'>} [image]
 */
export async function withBusybox(dir, ctx, { users } = {}) {
  const busybox = ctx.busybox
  await copyInto(dir, busybox, '/bin/busybox')
  const applets = (await $q`${busybox} --list`).stdout.split('\n').filter((a) => a && a !== 'busybox')
  for (const applet of applets) await symlink('busybox', path.join(dir, 'bin', applet))
  for (const d of ['root', 'home', 'var/tmp']) await mkdir(path.join(dir, d), { recursive: true })
  await writeAccounts(dir, users)
}

/**
 * root, nobody and www-data (plus extras: name -> uid = gid), and a world-writable /tmp.
 * @param {string} dir
 * @param {Record<string, number>} [extraUsers]
 */
async function writeAccounts(dir, extraUsers = {}) {
  const users = { root: 0, 'www-data': 33, ...extraUsers, nobody: 65534 }
  /** @param {string} name */
  const home = (name) => (name === 'root' ? '/root' : '/nonexistent')
  /** @param {string} name */
  const shell = (name) => (name === 'root' ? '/bin/sh' : '/bin/false')
  /** @param {string} name */
  const groupName = (name) => (name === 'nobody' ? 'nogroup' : name)
  await writeFiles(dir, {
    '/etc/passwd': Object.entries(users).map(([n, id]) => `${n}:x:${id}:${id}:${n}:${home(n)}:${shell(n)}\n`).join(''),
    '/etc/group': Object.entries(users).map(([n, id]) => `${groupName(n)}:x:${id}:\n`).join(''),
  })
  await mkdir(path.join(dir, 'tmp'), { recursive: true })
  await chmod(path.join(dir, 'tmp'), 0o1777)
}

// ---- file helpers ----

/**
 * Copies one file (mode included) to `target` inside the image directory.
 * @param {string} dir
 * @param {string} source
 * @param {string} target
 */
export async function copyInto(dir, source, target) {
  await mkdir(path.join(dir, path.dirname(target)), { recursive: true })
  await copyFile(source, path.join(dir, target))
}

/**
 * Copies a dynamically linked binary (or module) from a rootfs with exactly the shared libraries
 * ldd reports, each at the path the loader asks for. Symlinks (some absolute) are resolved inside
 * the rootfs, hence chroot.
 * @param {string} rootfs
 * @param {string} binary its path in the rootfs
 * @param {string} dir
 */
async function copyBinary(rootfs, binary, dir) {
  const ldd = (await $q`chroot ${rootfs} ldd ${binary}`).stdout
  const libraries = [...ldd.matchAll(/(?:=> )?(\/\S+) \(0x/g)].map((m) => /** @type {string} */ (m[1]))
  const files = [binary, ...libraries]
  const real = (await $q`chroot ${rootfs} realpath -e ${files}`).stdout.trim().split('\n')
  for (const [i, file] of files.entries()) await copyInto(dir, path.join(rootfs, /** @type {string} */ (real[i])), file)
}

/**
 * @param {string} dir
 * @param {Record<string, string>} files path in the image -> content
 */
async function writeFiles(dir, files) {
  for (const [file, content] of Object.entries(files)) {
    await mkdir(path.join(dir, path.dirname(file)), { recursive: true })
    await writeFile(path.join(dir, file), content)
  }
}

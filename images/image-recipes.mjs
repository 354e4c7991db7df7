// How a pod image is made (cluster-images.mjs holds the catalog of the offline cluster's images;
// conformance.mjs the test images): a directory filled by the image's recipe (Debian files, a Go
// binary, busybox) and turned into an image by `docker import` with its config.
import { $ } from 'zx'
import { chmod, copyFile, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { IMAGES_DIR } from './lib/cache.mjs'
import { fillPlaceholders } from './lib/placeholders.mjs'

/** @typedef {import('./lib/progress.mjs').Log} Log */
/** @typedef {import('./go-binaries.mjs').GoBins} GoBins */

const $q = $({ quiet: true })

export const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
const HEADERS_MORE_MODULE = '/usr/lib/nginx/modules/ngx_http_headers_more_filter_module.so'

/**
 * An image's local reference (what the cluster's override map points at).
 * @param {string} name
 * @param {string} tag
 */
export const localRef = (name, tag) => `localhost/kube-scenarios/${name}:${tag}`

/**
 * An image: `upstream` lists the references it stands in for (the override map);
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

// ---- docker import ----

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
export async function apacheHttpd(dir, ctx, image) {
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
export const POD_IMAGE_FILES = path.join(IMAGES_DIR, 'pod-images')

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
export const goBinary = (goBins, { group, binary }) => path.join(/** @type {string} */ (goBins[group]), binary)

/**
 * Fills an image with its Go binary (`go`) and nothing else.
 * @type {ClusterImage['fill']}
 */
export async function copyGoBinary(dir, ctx, image) {
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

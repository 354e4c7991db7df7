#!/usr/bin/env zx
// Makes a Docker engine answer on this machine. Idempotent: where Docker already works it changes
// nothing. Otherwise, as root on Debian or Ubuntu, it installs Debian's docker.io and starts
// dockerd; anywhere else it refuses with what to do instead. Where the kernel refuses
// CAP_SYS_RESOURCE to containers (privileged containers then fail with "unable to apply caps"),
// it registers runc-without-sys-resource as dockerd's default runtime first.
import { $, fs, sleep } from 'zx'
import path from 'node:path'
import { CACHE_DIR } from '../lib/paths.mjs'
import { withFileLock } from '../lib/state-files.mjs'

/** @typedef {import('../lib/progress.mjs').Log} Log */

const WRAPPER_SOURCE = path.join(import.meta.dirname, 'runc-without-sys-resource')
const WRAPPER = '/usr/local/sbin/runc-without-sys-resource'
const DAEMON_JSON = '/etc/docker/daemon.json'
/** @type {Log} */
const defaultLog = (line) => console.log(`[engine] ${line}`)

const dockerAnswers = async () => (await $({ nothrow: true, quiet: true })`docker version --format {{.Server.Version}}`).exitCode === 0

/**
 * Installing packages and starting dockerd belong to one process at a time (a run and a held `up`
 * starting together on a cold machine): the other waits, then finds Docker answering.
 */
export const MACHINE_SETUP_LOCK = path.join(CACHE_DIR, 'machine-setup')

/**
 * Every node container's kubelet, kube-proxy and containerd hold inotify instances of the host's
 * user: Debian's 128 are used up by a few clusters at once (two runs, a held `up`, a fault file's
 * own cluster), and kube-proxy then fails with "too many open files". kind's known-issues page
 * recommends these values.
 */
const INOTIFY_LIMITS = { max_user_instances: 512, max_user_watches: 524288 }

/**
 * Raises the host's inotify limits to INOTIFY_LIMITS where they are lower: as root on Linux it
 * does so (and says it); elsewhere it says what to run.
 * @param {Log} log
 */
async function ensureInotifyLimits(log) {
  if (process.platform !== 'linux') return
  for (const [name, wanted] of Object.entries(INOTIFY_LIMITS)) {
    const file = `/proc/sys/fs/inotify/${name}`
    const current = Number((await fs.readFile(file, 'utf8').catch(() => '')).trim())
    if (!current || current >= wanted) continue
    if (process.getuid?.() === 0 && (await fs.writeFile(file, String(wanted)).then(() => true, () => false))) {
      log(`raised fs.inotify.${name} from ${current} to ${wanted} (several clusters at once need it)`)
    } else {
      log(`fs.inotify.${name} is ${current}: several clusters at once may fail with "too many open files"; raise it: sudo sysctl fs.inotify.${name}=${wanted}`)
    }
  }
}

/** @param {{ log?: Log }} [options] */
export async function ensureDocker({ log = defaultLog } = {}) {
  await ensureInotifyLimits(log)
  if (await dockerAnswers()) return
  await withFileLock(MACHINE_SETUP_LOCK, () => startDocker(log), { onWait: (owner) => log(`waiting for another process setting up Docker (${owner})`) })
}

/** @param {Log} log */
async function startDocker(log) {
  if (await dockerAnswers()) return
  const refusal = await whyNotManaged()
  if (refusal) throw new Error(`no Docker engine answers (${process.env.DOCKER_HOST ?? '/var/run/docker.sock'}) and ${refusal}: start Docker (Docker Desktop, colima, \`sudo systemctl start docker\`) and run again`)
  if ((await $({ nothrow: true, quiet: true })`command -v dockerd`).exitCode !== 0) {
    log('installing Debian\'s docker.io')
    await $({ env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })`apt-get install -y --no-install-recommends docker.io debootstrap jq`.quiet()
  }
  if (await capabilityRefused()) {
    log('this kernel refuses CAP_SYS_RESOURCE to containers: installing the runc wrapper as the default runtime')
    await $`install -m 0755 ${WRAPPER_SOURCE} ${WRAPPER}`
    const config = (await fs.pathExists(DAEMON_JSON)) ? await fs.readJson(DAEMON_JSON) : {}
    config.runtimes = { ...config.runtimes, 'runc-without-sys-resource': { path: WRAPPER } }
    config['default-runtime'] = 'runc-without-sys-resource'
    await fs.outputJson(DAEMON_JSON, config, { spaces: 2 })
  }
  log('starting dockerd')
  $`nohup dockerd > /var/log/dockerd.log 2>&1 &`.nothrow()
  for (let i = 0; i < 100 && !(await dockerAnswers()); i++) await sleep(300)
  if (!(await dockerAnswers())) throw new Error('dockerd did not come up; see /var/log/dockerd.log')
  log('Docker engine up')
}

/** Why this script will not install or start an engine here; undefined where it will. */
async function whyNotManaged() {
  if (process.platform !== 'linux') return `kube-scenarios starts one itself only on Linux (this is ${process.platform})`
  if (process.getuid?.() !== 0) return 'kube-scenarios starts one itself only as root'
  const osRelease = (await fs.pathExists('/etc/os-release')) ? await fs.readFile('/etc/os-release', 'utf8') : ''
  if (!/^(ID|ID_LIKE)=.*\b(debian|ubuntu)\b/m.test(osRelease)) return 'kube-scenarios installs one itself only on Debian or Ubuntu'
  return undefined
}

/** The VM lacks CAP_SYS_RESOURCE in its bounding set: then runc cannot grant it to containers. */
async function capabilityRefused() {
  const status = await fs.readFile('/proc/self/status', 'utf8')
  const bounding = BigInt(`0x${status.match(/CapBnd:\s+([0-9a-f]+)/)[1]}`)
  const CAP_SYS_RESOURCE = 24n
  return (bounding & (1n << CAP_SYS_RESOURCE)) === 0n
}

if (import.meta.url === `file://${process.argv[1]}`) await ensureDocker()

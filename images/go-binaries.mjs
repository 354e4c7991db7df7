// Every Go program the offline cluster runs, built from the Go module proxy (no other network).
// Static binaries (CGO off) so that they run in any of the Debian-based images.
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { chmod, copyFile, cp, mkdir, readdir, rename, rm } from 'node:fs/promises'
import path from 'node:path'
import { IMAGES_DIR, cachedStep, stepState } from './lib/cache.mjs'
import { KUBERNETES_MINOR, KUBERNETES_VERSION } from './lib/cluster-constants.mjs'
import { DEFAULT_RELEASE } from './lib/kubernetes-releases.mjs'

export { KUBERNETES_VERSION }
const [major, minor] = KUBERNETES_MINOR.split('.')

/** The version stamps upstream's release build links into Kubernetes binaries. */
export const kubeVersionFlags = [
  `-X k8s.io/component-base/version.gitVersion=${KUBERNETES_VERSION}`,
  `-X k8s.io/component-base/version.gitMajor=${major}`,
  `-X k8s.io/component-base/version.gitMinor=${minor}`,
  '-X k8s.io/component-base/version.gitTreeState=clean',
  `-X k8s.io/client-go/pkg/version.gitVersion=${KUBERNETES_VERSION}`,
  `-X k8s.io/client-go/pkg/version.gitMajor=${major}`,
  `-X k8s.io/client-go/pkg/version.gitMinor=${minor}`,
].join(' ')

/** The Ingress controller's release (k3s ships Traefik). */
const { traefik: TRAEFIK_VERSION } = DEFAULT_RELEASE.components

/**
 * A program group: one `go build` of its packages into one directory, cached as one step.
 * @typedef {object} GoProgram
 * @property {string} name the group's name: its cache step, its timing, its key in GoBins
 * @property {string} module a directory of images/ holding a go.mod that pins the versions (built
 *   with its packages)
 * @property {string[]} packages what `go build` compiles (those starting with `./` are the
 *   module's own)
 * @property {string} [ldflags] added to `-s -w`
 * @property {Record<string, string>} [rename] binary file name -> the name it is installed as
 * @property {Record<string, Record<string, string>>} [patch] module -> a file of it -> the file of
 *   images/ compiled in its place: the group builds in a copy of its module's go.mod that replaces
 *   each patched module by a copy with the stand-ins (go refuses overlays of the module cache's
 *   files); such a group has no packages of its own
 * @property {number} typicalS a cold build's duration on a 2-core machine, beside the other modules'
 *   groups (before this machine recorded its own)
 */

/**
 * Program group name -> the directory holding its binaries (what buildGoProgram returns).
 * @typedef {Record<string, string>} GoBins
 */

/** @typedef {import('./lib/progress.mjs').Phase} Phase */

/**
 * Every program group. A module's first group to compile goes first; the module's later groups
 * follow it together, finding the packages they share with it in Go's build cache; the modules
 * compile side by side (images/build.mjs).
 * @type {GoProgram[]}
 */
export const GO_PROGRAMS = [
  {
    name: 'kubernetes',
    module: 'go',
    ldflags: kubeVersionFlags,
    packages: [
      'k8s.io/kubernetes/cmd/kube-apiserver',
      'k8s.io/kubernetes/cmd/kube-controller-manager',
      'k8s.io/kubernetes/cmd/kube-scheduler',
      'k8s.io/kubernetes/cmd/kubelet',
      'k8s.io/kubernetes/cmd/kube-proxy',
      'k8s.io/kubernetes/cmd/kubectl',
      'go.etcd.io/etcd/server/v3',
    ],
    rename: { server: 'etcd' },
    typicalS: 780,
  },
  {
    name: 'cluster-programs',
    module: 'go',
    packages: ['./cmd/echoserver', './cmd/pause', './cmd/pod-routes'],
    typicalS: 14,
  },
  {
    // A wrapper module, like the others: its go.mod and go.sum pin the release and every dependency.
    name: 'containerd',
    module: 'containerd',
    packages: [
      'github.com/containerd/containerd/v2/cmd/containerd',
      'github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2',
      'github.com/containerd/containerd/v2/cmd/ctr',
    ],
    typicalS: 250,
  },
  // One module graph (images/go/go.mod) for Kubernetes and the add-ons built from Go, so that the
  // packages they share (client-go, apimachinery, grpc...) compile once: later groups find them in
  // Go's build cache. Kubernetes first: it is the largest.
  { name: 'coredns', module: 'go', packages: ['./cmd/coredns'], typicalS: 27 },
  {
    name: 'metrics-server',
    module: 'go',
    packages: ['sigs.k8s.io/metrics-server/cmd/metrics-server'],
    // v0.8.1's generated OpenAPI definitions are keyed by Go type path; the apiserver library of
    // Kubernetes 1.35+ looks them up by OpenAPI model name (OpenAPIModelName) and metrics-server
    // panics at start. The stand-in is openapi-gen's output for the types in this graph (its
    // kube-openapi, k8s.io/metrics v0.37.2), run as metrics-server's Makefile runs it: the same
    // file as metrics-server v0.9.0's.
    patch: { 'sigs.k8s.io/metrics-server': { 'pkg/api/generated/openapi/zz_generated.openapi.go': 'metrics-server/zz_generated.openapi.go' } },
    typicalS: 26,
  },
  // kube-router's NetworkPolicy controller alone, as k3s runs it (images/go/cmd/kube-router-netpol).
  { name: 'kube-router', module: 'go', packages: ['./cmd/kube-router-netpol'], typicalS: 19 },
  { name: 'local-path-provisioner', module: 'go', packages: ['github.com/rancher/local-path-provisioner'], typicalS: 25 },
  {
    // A wrapper module (images/traefik/go.mod says why, and why this release); its own graph.
    name: 'traefik',
    module: 'traefik',
    packages: ['github.com/traefik/traefik/v3/cmd/traefik'],
    // lego's table of ACME DNS-01 providers imports about 150 cloud DNS SDKs (a third of
    // Traefik's compile) that an offline cluster cannot reach: a stand-in refuses every provider.
    patch: { 'github.com/go-acme/lego/v4': { 'providers/dns/zz_gen_dns_providers.go': 'traefik/no-dns-providers/dns_providers.go' } },
    // As traefik's release build sets them; a fixed build date keeps the binary reproducible.
    ldflags: [
      `-X github.com/traefik/traefik/v3/pkg/version.Version=${TRAEFIK_VERSION}`,
      '-X github.com/traefik/traefik/v3/pkg/version.Codename=ramequin',
      '-X github.com/traefik/traefik/v3/pkg/version.BuildDate=unknown',
    ].join(' '),
    typicalS: 630,
  },
]

// The linker drops debug information (-s -w), so the compiler does not write it (-dwarf=false).
const goEnv = { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-buildvcs=false -trimpath -gcflags=all=-dwarf=false' }

/**
 * @param {GoProgram} program
 * @returns {Promise<unknown[]>}
 */
async function goStepInputs(program) {
  const moduleDir = program.module && path.join(IMAGES_DIR, program.module)
  const goVersion = (await goOutput(['env', 'GOVERSION'])).trim()
  // Only what this group compiles: the module's pins and its own local packages (a change to
  // another program of the same module must not rebuild Kubernetes).
  const local = program.packages.filter((p) => p.startsWith('.')).map((p) => path.join(moduleDir, p))
  const standIns = Object.values(program.patch ?? {}).flatMap((files) => Object.values(files).map((f) => path.join(IMAGES_DIR, f)))
  const { typicalS, ...definition } = program
  return [goVersion, goEnv.GOFLAGS, definition, ...(moduleDir ? [path.join(moduleDir, 'go.mod'), path.join(moduleDir, 'go.sum'), ...local] : []), ...standIns]
}

/**
 * Whether a program group's binaries are already in the cache.
 * @param {GoProgram} program
 * @returns {Promise<boolean>}
 */
export async function goProgramCached(program) {
  return (await stepState(`go-${program.name}`, await goStepInputs(program))).cached
}

/**
 * Resolves a program group's packages, downloading the modules they come from: what a build does
 * before it compiles, so it can run while another group compiles.
 * @param {GoProgram} program
 * @returns {Promise<number>} how many packages the group compiles, std included
 */
export async function resolveGoProgram(program) {
  return (await goOutput(['list', '-deps', ...program.packages], await buildDir(program))).trim().split('\n').length
}

/** @type {Map<GoProgram, Promise<string>>} */
const buildDirs = new Map()

/**
 * Where `go` runs for a group: its module's directory, or for a group with patches a copy of its
 * go.mod and go.sum replacing each patched module by a patched copy: a cached step of its own
 * (builds running at once share it; the same inputs keep the same place).
 * @param {GoProgram} program
 * @returns {Promise<string>}
 */
function buildDir(program) {
  const moduleDir = path.join(IMAGES_DIR, program.module)
  const { patch } = program
  if (!patch) return Promise.resolve(moduleDir)
  let dir = buildDirs.get(program)
  if (!dir) {
    const standIns = Object.values(patch).flatMap((files) => Object.values(files).map((f) => path.join(IMAGES_DIR, f)))
    const inputs = [path.join(moduleDir, 'go.mod'), path.join(moduleDir, 'go.sum'), patch, ...standIns]
    dir = cachedStep(`go-patched-${program.name}`, inputs, async (root) => {
      const main = path.join(root, 'main')
      await mkdir(main, { recursive: true })
      for (const file of ['go.mod', 'go.sum']) await copyFile(path.join(moduleDir, file), path.join(main, file))
      for (const [module, files] of Object.entries(patch)) {
        const { Dir } = JSON.parse(await goOutput(['mod', 'download', '-json', module], moduleDir))
        const copy = path.join(root, module.replaceAll('/', '_'))
        // The module cache's files are read-only; the copy is written to.
        await cp(Dir, copy, { recursive: true })
        await chmodTree(copy)
        for (const [file, standIn] of Object.entries(files)) await copyFile(path.join(IMAGES_DIR, standIn), path.join(copy, file))
        await goRun(['mod', 'edit', `-replace=${module}=${copy}`], { cwd: main })
      }
    }).then(({ outDir }) => path.join(outDir, 'main'))
    buildDirs.set(program, dir)
  }
  return dir
}

/**
 * Makes a tree writable by its owner.
 * @param {string} dir
 */
async function chmodTree(dir) {
  await chmod(dir, 0o755)
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const entryPath = path.join(dir, entry.name)
    if (entry.isDirectory()) await chmodTree(entryPath)
    else await chmod(entryPath, 0o644)
  }
}

/**
 * Compiles Go's standard library into Go's build cache, once for every group that follows (groups
 * compiling side by side would each compile it).
 * @returns {Promise<void>}
 */
export function compileStandardLibrary() {
  return goRun(['build', 'std'])
}

/**
 * Builds one program group; returns the directory holding its binaries and whether this build
 * compiled them (not: they were cached, or another build compiled them while this one waited).
 * @param {GoProgram} program
 * @param {Pick<Phase, 'update'>} phase where the build reports its progress
 * @param {Promise<number>} [resolved] the group's resolveGoProgram, when it already runs
 * @returns {Promise<{ dir: string, compiledHere: boolean }>}
 */
export async function buildGoProgram(program, phase, resolved) {
  const { outDir, cached } = await cachedStep(`go-${program.name}`, await goStepInputs(program), async (out) => {
    const ldflags = `-s -w ${program.ldflags ?? ''}`
    // The packages to compile, std included: `go build -v` names each as it compiles it (cached
    // ones are skipped, so a warm Go cache ends below the total).
    phase.update('resolving modules')
    const total = await (resolved ?? resolveGoProgram(program))
    let compiled = 0
    const onPackage = () => phase.update(`${++compiled}/${total} packages compiled`)
    await goRun(['build', '-v', '-ldflags', ldflags, '-o', `${out}/`, ...program.packages], { cwd: await buildDir(program), onPackage })
    for (const [from, to] of Object.entries(program.rename ?? {})) await rename(path.join(out, from), path.join(out, to))
  })
  return { dir: outDir, compiledHere: !cached }
}

/**
 * @param {string[]} args
 * @param {string} [cwd]
 * @returns {Promise<string>} the command's stdout
 */
export function goOutput(args, cwd) {
  let stdout = ''
  return goRun(args, { cwd, onStdout: (chunk) => (stdout += chunk) }).then(() => stdout)
}

/**
 * Runs the go command; `-v` package lines on stderr go to onPackage, anything else is kept for
 * the error a failure throws (the compiler's messages, not thousands of package names).
 * @param {string[]} args
 * @param {{ cwd?: string, env?: NodeJS.ProcessEnv, onPackage?: (pkg: string) => void, onStdout?: (chunk: string) => void }} [options]
 * @returns {Promise<void>}
 */
export function goRun(args, { cwd, env = goEnv, onPackage, onStdout } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn('go', args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
    running.add(child)
    child.once('exit', () => running.delete(child))
    /** @type {string[]} */
    const messages = []
    child.stdout.setEncoding('utf8').on('data', /** @param {string} chunk */ (chunk) => onStdout?.(chunk))
    createInterface({ input: child.stderr }).on('line', (line) => {
      if (onPackage && /^[\w.\-/]+$/.test(line)) onPackage(line)
      else messages.push(line)
    })
    child.once('error', reject)
    child.once('close', (code) => {
      if (code === 0) return resolve()
      reject(new Error(`go ${args[0]} ${args.at(-1)} failed (exit ${code}) in ${cwd ?? process.cwd()}:\n${messages.slice(-40).join('\n')}`))
    })
  })
}

/** The go commands running: several run side by side, and a build that fails stops the rest. */
const running = new Set()
process.once('exit', () => {
  for (const child of running) child.kill()
})

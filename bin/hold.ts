// `kube-scenarios up`, `down` and `kubectl`: a cluster held up for a person to look at and to run
// scenarios against (`run --cluster kubeconfig --kubeconfig FILE`), like kind's `create cluster`.
// The holding process serves the cluster until Ctrl-C or `down`; its reaper removes the
// containers however it ends. Each held cluster has a folder under HELD_DIR: its kubeconfig (0600)
// and held.json (pid, provider, kubeconfig path).
import { spawn } from 'node:child_process'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { CACHE_DIR, LOCAL_MANIFEST } from '#images/lib/paths.mjs'
import { readJsonTolerantly, writeFileAtomic } from '#images/lib/state-files.mjs'
import { BASE_IMAGES } from '#images/lib/cluster-constants.mjs'
import { loadImages } from '../lib/cluster/control.js'
import { describeLoad } from '../lib/cluster/images.js'
import { NOT_OURS_TO_LOAD, heldClusterOf, kubeconfigForBorrowing, type HeldCluster } from '../lib/cluster/kubeconfig.js'
import { startRun } from '../lib/cluster/run.js'
import { MANAGED_LABEL, type ClusterInfo } from '../lib/cluster/provider.js'
import { createClients } from '../lib/api/client.js'
import { collectForensics } from '../lib/report/forensics.js'
import { childEnv, runSettings, type RunSettings } from '../lib/config/settings.js'

export const HELD_DIR = path.join(CACHE_DIR, 'clusters')
const STOP_TIMEOUT_MS = 120_000

interface HeldRecord {
  runId: string
  pid: number
  provider: string
  kubeconfig: string
  startedAt: string
}

export interface UpOptions {
  settings: RunSettings
  /** Where to write the kubeconfig (default: HELD_DIR/<run>/kubeconfig). */
  kubeconfigOut?: string
  log?: (line: string) => void
}

/** Starts a cluster and holds it until SIGINT or SIGTERM (`down`); resolves once it is stopped. */
export async function up(options: UpOptions): Promise<void> {
  const log = options.log ?? ((line: string) => console.log(line))
  const run = await startRun(options.settings, { log: (line) => log(`[kube-scenarios] ${line}`) })
  const { info } = run
  const folder = path.join(HELD_DIR, info.runId)
  const kubeconfigFile = path.resolve(options.kubeconfigOut ?? path.join(folder, 'kubeconfig'))
  const held = heldClusterOf(kubeconfigForBorrowing(info))!
  const record: HeldRecord = { runId: info.runId, pid: process.pid, provider: info.provider, kubeconfig: kubeconfigFile, startedAt: new Date().toISOString() }
  let stopping: Promise<void> | undefined
  const stop = () =>
    (stopping ??= (async () => {
      log(`stopping cluster ${info.runId}…`)
      await run.stop()
      await rm(folder, { recursive: true, force: true })
      if (options.kubeconfigOut) await rm(kubeconfigFile, { force: true })
      log(`cluster ${info.runId} removed`)
    })())
  const stopped = new Promise<void>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      // This command owns the process: the TypeScript loader's handlers would exit before the cluster stopped.
      process.removeAllListeners(signal)
      process.once(signal, () => void stop().then(resolve))
    }
  })
  try {
    await mkdir(folder, { recursive: true, mode: 0o700 })
    await mkdir(path.dirname(kubeconfigFile), { recursive: true })
    await writeFile(kubeconfigFile, kubeconfigForBorrowing(info), { mode: 0o600 })
    await chmod(kubeconfigFile, 0o600)
    await writeFileAtomic(path.join(folder, 'held.json'), `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 })
  } catch (error) {
    await stop()
    throw error
  }
  log(heldClusterText(held, info.kubernetesVersion, kubeconfigFile))
  await stopped
}

/** What a person needs to use the held cluster. */
export function heldClusterText(held: HeldCluster, version: string, kubeconfigFile: string): string {
  const ownKubectl = held.kubectl?.needsKubeconfig ? held.kubectl.command[0] : undefined
  const lines = [
    '',
    `cluster ${held.runId} is up (${held.provider}, Kubernetes ${version})`,
    `  export KUBECONFIG=${kubeconfigFile}`,
    `  kubectl:    npx kube-scenarios kubectl get nodes${ownKubectl ? `   (or ${ownKubectl})` : ''}`,
    `  scenarios:  npx kube-scenarios run --cluster kubeconfig --kubeconfig ${kubeconfigFile} [recipe|ID...]`,
    '  NodePorts:  ' + Object.entries(held.nodePortUrls).map(([port, url]) => `${port} -> ${url}`).join(', '),
    ...(held.ingressUrl ? [`  Ingress:    ${held.ingressUrl}`] : []),
    ...(Object.keys(held.imageOverrides).length
      ? [`  images:     upstream references are rewritten to local ones; KUBE_SCENARIOS_IMAGE_OVERRIDES=${LOCAL_MANIFEST} for tools that need the map (runs through this kubeconfig read it from there)`]
      : []),
    `  your image: docker build -t myapp:dev . && npx kube-scenarios load myapp:dev   (the cluster pulls nothing it was not given${Object.keys(held.imageOverrides).length ? `; FROM ${BASE_IMAGES.busybox} or ${BASE_IMAGES.debian} builds without a registry` : ''})`,
    `  stop:       Ctrl-C here, or npx kube-scenarios down --run ${held.runId}`,
    '',
  ]
  return lines.join('\n')
}

/** The clusters held on this machine, the newest first. */
export function heldClusters(): HeldRecord[] {
  if (!existsSync(HELD_DIR)) return []
  return readdirSync(HELD_DIR)
    .map((run) => path.join(HELD_DIR, run, 'held.json'))
    .flatMap((file) => {
      const record = readJsonTolerantly<HeldRecord>(file, {
        consequence: 'that cluster is not listed; `kube-scenarios clean` sweeps what it left',
        valid: (value) => typeof (value as HeldRecord | null)?.runId === 'string' && typeof (value as HeldRecord).pid === 'number',
      })
      return record ? [record] : []
    })
    .sort((a, b) => b.startedAt.localeCompare(a.startedAt))
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** The held cluster a command means: the one named, else the only one. */
function pickHeld(runId: string | undefined): HeldRecord {
  const held = heldClusters()
  if (runId) {
    const found = held.find((h) => h.runId === runId)
    if (!found) throw new Error(`no held cluster ${runId}; held here: ${held.map((h) => h.runId).join(', ') || 'none'}`)
    return found
  }
  if (held.length === 1) return held[0]!
  if (held.length === 0) throw new Error('no cluster is held here (start one with `kube-scenarios up`)')
  throw new Error(`${held.length} clusters are held here; name one with --run: ${held.map((h) => `${h.runId} (${h.provider})`).join(', ')}`)
}

/** Stops a held cluster: its holding process stops it; if that process is gone, the run's leftovers are swept. */
export async function down(runId: string | undefined, log: (line: string) => void = console.log): Promise<void> {
  const held = pickHeld(runId)
  if (isAlive(held.pid)) {
    log(`stopping cluster ${held.runId} (holding process ${held.pid})…`)
    process.kill(held.pid, 'SIGTERM')
    const deadline = Date.now() + STOP_TIMEOUT_MS
    // A foreign process cannot be awaited: check on it a few times a second.
    while (isAlive(held.pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250))
    if (isAlive(held.pid)) throw new Error(`the holding process ${held.pid} did not stop within ${STOP_TIMEOUT_MS / 1000} s`)
  } else {
    log(`the holding process of ${held.runId} is gone; sweeping what it left`)
    const { clean } = await import('./clean.js')
    await clean({ runId: held.runId, log })
  }
  await rm(path.join(HELD_DIR, held.runId), { recursive: true, force: true })
  log(`cluster ${held.runId} is down`)
}

/**
 * Puts images of this machine's Docker into a held cluster: the one KUBE_SCENARIOS_KUBECONFIG or
 * KUBECONFIG describes, else the only one held here (or --run's). A cluster kube-scenarios did not
 * start is refused with the reason.
 */
export async function load(images: readonly string[], runId: string | undefined, log: (line: string) => void = console.log): Promise<void> {
  const settings = runSettings()
  const named = runId ? undefined : (settings.kubeconfig ?? settings.kubectlConfigs?.[0])
  const kubeconfigFile = named ?? pickHeld(runId).kubeconfig
  const held = existsSync(kubeconfigFile) ? heldClusterOf(readFileSync(kubeconfigFile, 'utf8')) : undefined
  if (!held?.controlUrl) throw new Error(`cannot load into the cluster of ${kubeconfigFile}: ${NOT_OURS_TO_LOAD}`)
  const started = Date.now()
  const loads = await loadImages(held, images)
  for (const line of loads.map(describeLoad)) log(line)
  log(`${images.length} image(s) in ${new Set(loads.map((l) => l.node)).size} node(s) of cluster ${held.runId} in ${((Date.now() - started) / 1000).toFixed(1)} s; nodes added later get them too`)
}

/**
 * Collects, on demand, what a failed test collects (lib/report/forensics.ts) from a held cluster (the
 * only one, or --run's): for each of its kube-scenarios namespaces (or, with none, the cluster's
 * own state under "cluster"), into <reports>/<run>-collect-<time>/forensics/. Returns that folder.
 */
export async function collect(runId: string | undefined, log: (line: string) => void = console.log): Promise<string> {
  const held = pickHeld(runId)
  const settings = runSettings()
  const clients = createClients(readFileSync(held.kubeconfig, 'utf8'))
  const { items } = await clients.core.listNamespace({ labelSelector: `${MANAGED_LABEL}=true` })
  const namespaces = items.map((n) => n.metadata!.name!)
  const folder = path.join(settings.reportDir, `${held.runId}-collect-${new Date().toISOString().slice(0, 19).replace(/[-:]/g, '')}`)
  for (const namespace of namespaces.length ? namespaces : ['default']) {
    const report = await collectForensics({
      clients,
      cluster: { provider: held.provider as ClusterInfo['provider'], runId: held.runId },
      namespace,
      runFolder: folder,
      name: namespaces.length ? namespace : 'cluster',
      budgetMs: settings.timeouts.forensics,
    })
    log(`${namespace}: ${report.files.length} files, ${Math.round(report.bytes / 1000)} kB in ${(report.ms / 1000).toFixed(1)} s -> ${path.join(folder, report.dir)}`)
    for (const note of report.notes) log(`  ${note}`)
  }
  return folder
}

/** The kubeconfig file of the held cluster a command means (the only one, or `runId`'s). */
export function heldKubeconfig(runId?: string): string {
  return pickHeld(runId).kubeconfig
}

/** The cluster's own kubectl as its kubeconfig describes it (a held cluster's), else the one on PATH. */
function kubectlOf(kubeconfigFile: string): string[] {
  const own = existsSync(kubeconfigFile) ? heldClusterOf(readFileSync(kubeconfigFile, 'utf8'))?.kubectl : undefined
  return own?.command ?? ['kubectl']
}

/** Runs kubectl against KUBECONFIG, else the held cluster (the only one, or --run's); returns its exit code. */
export async function kubectl(args: string[], runId?: string): Promise<number> {
  const configs = runSettings().kubectlConfigs
  const KUBECONFIG = runId || !configs ? pickHeld(runId).kubeconfig : configs.join(path.delimiter)
  const env = childEnv({ KUBECONFIG })
  // KUBECONFIG may list several files; the first describes the cluster kubectl talks to.
  const [binary, ...prefix] = kubectlOf(KUBECONFIG.split(path.delimiter)[0]!)
  return new Promise((resolve, reject) => {
    const child = spawn(binary!, [...prefix, ...args], { stdio: 'inherit', env })
    child.once('error', (error) => reject(new Error(`cannot run ${binary}: ${error.message} (install kubectl, or hold a cluster with \`kube-scenarios up\`)`)))
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)))
  })
}

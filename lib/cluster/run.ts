// One cluster per run: choose the provider, start it, serve the control endpoint, and make sure
// that whatever happens (normal end, Ctrl-C, a crash) leaves no containers or namespaces behind.
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { serveClusterControl, type ControlServer } from './control.js'
import { chooseProvider } from './choose.js'
import { monitorNodes } from './node-monitor.js'
import type { ClusterInfo, RunningCluster } from './provider.js'
import type { RunSettings } from '../config/settings.js'

export interface RunOptions {
  /** false: `auto` never chooses the kubeconfig the settings name (a cluster of our own is wanted). */
  borrow?: boolean
  log?: (line: string) => void
}

export interface Run {
  info: ClusterInfo
  /** Stops the cluster and the control endpoint; idempotent. */
  stop(): Promise<void>
}

/** Starts the cluster `settings` name (provider, nodes, timeouts...), with its reaper, node monitor and control endpoint. */
export async function startRun(settings: RunSettings, options: RunOptions = {}): Promise<Run> {
  const log = options.log ?? ((line: string) => console.log(`[kube-scenarios] ${line}`))
  const provider = await chooseProvider(settings, log, { borrow: options.borrow ?? true })
  const runId = `${new Date().toISOString().slice(0, 10).replaceAll('-', '')}-${randomBytes(3).toString('hex')}`
  const { keepNamespaces } = settings
  const reaper = startReaper(runId, log)
  const started = Date.now()
  let cluster: RunningCluster
  try {
    cluster = await provider.start({ runId, nodes: settings.nodes, settings, log })
  } catch (error) {
    reaper.release(false)
    throw new Error(`the ${provider.name} cluster did not start: ${startFailure(error)}`)
  }
  log(`cluster ${runId} ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${cluster.info.kubernetesVersion}, ${cluster.nodeCount()} node(s)`)
  reaper.watchNamespaces(cluster.info.kubeconfig, keepNamespaces)
  const monitor = await monitorNodes({ runId, kubeconfig: cluster.info.kubeconfig, ownsContainers: provider.name !== 'kubeconfig', log })
  const control: ControlServer = await serveClusterControl(cluster, log)
  let stopping: Promise<void> | undefined
  const stop = () =>
    (stopping ??= (async () => {
      // The run stops its own nodes now: not a loss.
      monitor.stop()
      await control.close()
      const stopped = await cluster.stop().then(
        () => true,
        (e) => (log(`stopping the cluster: ${(e as Error).message}`), false),
      )
      // A cluster the run created took its namespaces with it; only a borrowed one keeps them.
      reaper.release(keepNamespaces || (stopped && provider.name !== 'kubeconfig'))
    })())
  return { info: { ...cluster.info, controlUrl: control.url }, stop }
}

/**
 * The failure's message and code only: Node's TLS errors carry whole certificates (with raw
 * buffers), which vitest would print byte by byte instead of the reason.
 */
function startFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const code = (error as { code?: unknown }).code
  return typeof code === 'string' && !error.message.includes(code) ? `${error.message} (${code})` : error.message
}

interface Reaper {
  watchNamespaces(kubeconfig: string, keep: boolean): void
  release(keepNamespaces: boolean): void
}

/**
 * Starts the detached reaper (cluster/reaper.mjs). It sweeps when our end of its stdin closes,
 * which the OS does for us however this process ends.
 */
function startReaper(runId: string, log: (line: string) => void): Reaper {
  const logFile = path.join(tmpdir(), `kube-scenarios-reaper-${runId}.log`)
  let child: ChildProcess | undefined
  const spawnReaper = (kubeconfigFile?: string) => {
    const script = path.join(import.meta.dirname, 'reaper.mjs')
    const next = spawn(process.execPath, [script, runId, logFile, ...(kubeconfigFile ? [kubeconfigFile] : [])], {
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore'],
    })
    next.unref()
    ;(next.stdin as unknown as { unref?: () => void } | null)?.unref?.()
    return next
  }
  child = spawnReaper()
  return {
    watchNamespaces(kubeconfig, keep) {
      // Re-spawned with the kubeconfig so it can also delete this run's namespaces.
      const file = path.join(tmpdir(), `kube-scenarios-${runId}.kubeconfig`)
      writeFileSync(file, kubeconfig, { mode: 0o600 })
      const previous = child
      child = spawnReaper(file)
      if (keep) child.stdin?.write('keep-namespaces\n')
      previous?.stdin?.end('handover\n')
      log(`reaper watching run ${runId} (log: ${logFile})`)
    },
    release(keepNamespaces) {
      if (keepNamespaces) child?.stdin?.write('keep-namespaces\n')
      child?.stdin?.end()
    },
  }
}

// `kube-scenarios clean`: sweeps what runs left behind (a run normally cleans up after itself,
// and its reaper after a crash): Docker containers and networks of the runs, and the namespaces
// the harness created on the kubeconfig's cluster. Only what carries the harness's labels.
import * as k8s from '@kubernetes/client-node'
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import path from 'node:path'
import { getContainerRuntimeClient } from 'testcontainers'
import { MANAGED_LABEL, RUN_LABEL, firstLine, runNetworkName } from '../lib/cluster/provider.js'
import { kubeconfigFiles, loadKubeConfig } from '../lib/cluster/kubeconfig.js'
import { parseRunSettings } from '../lib/config/settings.js'

export interface CleanOptions {
  /** Only this run's leftovers; default every run's (including a run in progress). */
  runId?: string
  /** Say what would go, remove nothing. */
  dryRun?: boolean
  /** Kubeconfig file; default KUBE_SCENARIOS_KUBECONFIG, else KUBECONFIG, else ~/.kube/config (context KUBE_SCENARIOS_CONTEXT). */
  kubeconfig?: string
  log?: (line: string) => void
}

export async function clean(options: CleanOptions = {}): Promise<void> {
  const log = options.log ?? console.log
  await sweepDocker(options, log).catch((error: Error) => log(`docker: skipped (${firstLine(error)})`))
  await sweepNamespaces(options, log).catch((error: Error) => log(`namespaces: skipped (${firstLine(error)})`))
  sweepTempFiles(options, log)
}

/** A run's kubeconfigs (credentials: the reaper's, kubectl's) and reaper log in the temp folder, named after the run. */
const RUN_TEMP_FILE = /^kube-scenarios-(?:reaper-)?(\d{8}-[0-9a-f]{6})(?:-kubectl-\d+)?\.(?:kubeconfig|log)$/

function sweepTempFiles(options: CleanOptions, log: (line: string) => void): void {
  const files = readdirSync(tmpdir()).filter((f) => {
    const run = RUN_TEMP_FILE.exec(f)?.[1]
    return run && (!options.runId || run === options.runId)
  })
  for (const file of files) {
    log(`${verb(options)} ${path.join(tmpdir(), file)}`)
    if (!options.dryRun) rmSync(path.join(tmpdir(), file), { force: true })
  }
  if (files.length === 0) log('temp files: nothing left behind')
}

async function sweepDocker(options: CleanOptions, log: (line: string) => void): Promise<void> {
  const docker = (await getContainerRuntimeClient()).container.dockerode
  const label = options.runId ? `${RUN_LABEL}=${options.runId}` : RUN_LABEL
  const containers = await docker.listContainers({ all: true, filters: JSON.stringify({ label: [label] }) })
  for (const info of containers) {
    log(`${verb(options)} container ${info.Names?.[0]?.replace(/^\//, '') ?? info.Id} (run ${info.Labels?.[RUN_LABEL]})`)
    if (!options.dryRun) await docker.getContainer(info.Id).remove({ force: true, v: true })
  }
  // testcontainers cannot label networks: the providers name them after the run.
  const prefix = options.runId ? runNetworkName(options.runId) : runNetworkName('')
  const networks = (await docker.listNetworks({ filters: JSON.stringify({ name: [prefix] }) })).filter((n) => (options.runId ? n.Name === prefix : n.Name.startsWith(prefix)))
  for (const info of networks) {
    log(`${verb(options)} network ${info.Name}`)
    if (!options.dryRun) await docker.getNetwork(info.Id).remove()
  }
  if (containers.length + networks.length === 0) log('docker: nothing left behind')
}

async function sweepNamespaces(options: CleanOptions, log: (line: string) => void): Promise<void> {
  const settings = parseRunSettings({ kubeconfig: options.kubeconfig })
  if (!kubeconfigFiles(settings).some((f) => existsSync(f))) return log('namespaces: no kubeconfig to sweep (KUBE_SCENARIOS_KUBECONFIG, KUBECONFIG or ~/.kube/config)')
  const kc = loadKubeConfig(settings)
  if (!kc.getCurrentCluster()) return log('namespaces: no kubeconfig cluster to sweep')
  const core = kc.makeApiClient(k8s.CoreV1Api)
  const labelSelector = [`${MANAGED_LABEL}=true`, ...(options.runId ? [`${RUN_LABEL}=${options.runId}`] : [])].join(',')
  const { items } = await core.listNamespace({ labelSelector })
  const live = items.filter((ns) => !ns.metadata?.deletionTimestamp)
  for (const ns of live) {
    log(`${verb(options)} namespace ${ns.metadata!.name} (run ${ns.metadata?.labels?.[RUN_LABEL]}) on ${kc.getCurrentCluster()!.server}`)
    if (!options.dryRun) await core.deleteNamespace({ name: ns.metadata!.name! })
  }
  if (live.length === 0) log(`namespaces: nothing left behind on ${kc.getCurrentCluster()!.server}`)
}

function verb(options: CleanOptions): string {
  return options.dryRun ? 'would remove' : 'removing'
}

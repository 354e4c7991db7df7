// Which cluster a run gets, with the set-up it needs done first: a Docker engine made to answer
// (where kube-scenarios may start one), and on a machine where nothing else can serve (no
// kubeconfig given, no k3s image and no registry, no offline build yet) the offline cluster
// built before the run goes on. It says once which provider serves and why.
import { spawn } from 'node:child_process'
import path from 'node:path'
import { IMAGES_DIR } from '../config/package-root.js'
import { k3sProvider } from './k3s.js'
import { kubeconfigProvider } from './kubeconfig.js'
import { localProvider } from './local.js'
import type { RunSettings } from '../config/settings.js'
import type { ClusterProvider, ProviderName } from './provider.js'

const PROVIDERS: Record<ProviderName, ClusterProvider> = { k3s: k3sProvider, local: localProvider, kubeconfig: kubeconfigProvider }

type Log = (line: string) => void

/** The provider asked for (`auto`: the first that can serve), after the set-up it needs. */
export async function chooseProvider(settings: RunSettings, log: Log, { borrow = true }: { borrow?: boolean } = {}): Promise<ClusterProvider> {
  const requested = settings.cluster
  if (requested === 'auto') return chooseAutomatically(settings, log, borrow)
  const provider = PROVIDERS[requested]
  if (provider !== kubeconfigProvider) await ensureDockerEngine(log)
  if (provider === localProvider && !(await localProvider.probe(settings)).ok) await buildOfflineCluster(log)
  const probe = await provider.probe(settings)
  if (!probe.ok) throw new Error(`cluster provider ${requested} cannot serve here: ${probe.reason}`)
  log(`cluster: ${requested} (asked for; ${probe.reason})`)
  return provider
}

async function chooseAutomatically(settings: RunSettings, log: Log, borrow: boolean): Promise<ClusterProvider> {
  // A kubeconfig named for kube-scenarios is a decision: no fallback when it does not answer.
  if (borrow && settings.kubeconfig) {
    const probe = await kubeconfigProvider.probe(settings)
    if (!probe.ok) throw new Error(`KUBE_SCENARIOS_KUBECONFIG is set but ${probe.reason}`)
    return chosen(kubeconfigProvider, probe.reason, log)
  }
  await ensureDockerEngine(log)
  const k3s = await k3sProvider.probe(settings)
  if (k3s.ok && !k3s.pulls) return chosen(k3sProvider, k3s.reason, log)
  const local = await localProvider.probe(settings)
  if (local.ok) return chosen(localProvider, local.reason, log)
  if (k3s.ok) return chosen(k3sProvider, k3s.reason, log)
  log(`cluster: no kubeconfig given (KUBE_SCENARIOS_KUBECONFIG), k3s cannot start (${k3s.reason}), the offline cluster is not built yet`)
  await buildOfflineCluster(log)
  const built = await localProvider.probe(settings)
  if (!built.ok) throw new Error(`the offline cluster build ended but ${built.reason}`)
  return chosen(localProvider, `just built; ${built.reason}`, log)
}

function chosen(provider: ClusterProvider, reason: string, log: Log): ClusterProvider {
  log(`cluster: ${provider.name} (auto: ${reason})`)
  return provider
}

/** Makes Docker answer (images/engine/ensure-docker.mjs); a refusal says what to do instead. */
async function ensureDockerEngine(log: Log): Promise<void> {
  const { ensureDocker } = (await import(path.join(IMAGES_DIR, 'engine', 'ensure-docker.mjs'))) as {
    ensureDocker(options: { log: Log }): Promise<void>
  }
  await ensureDocker({ log: (line) => log(`docker: ${line}`) })
}

/** `npm run images` as a child process whose progress lines go straight to this terminal. */
export async function buildOfflineCluster(log: Log): Promise<void> {
  log('building the offline cluster (what `npm run images` does), then the run goes on')
  const script = path.join(IMAGES_DIR, 'build.mjs')
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, [script], { stdio: ['ignore', 'inherit', 'inherit'] })
    child.once('error', reject)
    child.once('exit', (exitCode, signal) => resolve(signal ? null : exitCode))
  })
  if (code !== 0) throw new Error(`the offline cluster build failed (${code === null ? 'killed' : `exit ${code}`}; its output is above); \`npm run images\` runs it again, cached steps are kept`)
}

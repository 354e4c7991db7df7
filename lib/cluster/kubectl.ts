// The cluster's own kubectl, for claims that the harness's helpers behave as kubectl does (a
// parity scenario runs both on the same cluster). Its kubeconfig goes to a file of this process
// (0600), named after the run: removed when the process exits, else by the run's reaper.
import { execFile } from 'node:child_process'
import { rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { UnsupportedByProviderError, type ClusterInfo } from './provider.js'
import { runSettings } from '../config/settings.js'

export interface KubectlResult {
  stdout: string
  stderr: string
  exitCode: number
}

const kubeconfigFiles = new Map<string, string>()

function kubeconfigFile(cluster: ClusterInfo): string {
  let file = kubeconfigFiles.get(cluster.runId)
  if (!file) {
    file = path.join(tmpdir(), `kube-scenarios-${cluster.runId}-kubectl-${process.pid}.kubeconfig`)
    writeFileSync(file, cluster.kubeconfig, { mode: 0o600 })
    kubeconfigFiles.set(cluster.runId, file)
    process.once('exit', () => rmSync(file!, { force: true }))
  }
  return file
}

/** Runs `kubectl args...` against the run's cluster; a non-zero exit is a result, not a throw. `timeoutMs` defaults to the `kubectl` timeout. */
export function kubectl(cluster: ClusterInfo, args: string[], options: { timeoutMs?: number } = {}): Promise<KubectlResult> {
  if (!cluster.kubectl) {
    throw new UnsupportedByProviderError(cluster.provider, 'run its own kubectl', 'the local and k3s providers (and clusters held by `kube-scenarios up`) bring one')
  }
  const [command, ...prefix] = cluster.kubectl.command
  const kubeconfig = cluster.kubectl.needsKubeconfig ? ['--kubeconfig', kubeconfigFile(cluster)] : []
  return new Promise((resolve, reject) => {
    execFile(command!, [...prefix, ...kubeconfig, ...args], { timeout: options.timeoutMs ?? runSettings().timeouts.kubectl }, (error, stdout, stderr) => {
      const exitCode = error ? (typeof error.code === 'number' ? error.code : -1) : 0
      if (error && exitCode === -1) return reject(new Error(`kubectl ${args.join(' ')}: ${error.message}`))
      resolve({ stdout, stderr, exitCode })
    })
  })
}

/** `kubectl rollout history` parsed: revision -> CHANGE-CAUSE (undefined for <none>). */
export function parseRolloutHistory(output: string): Array<{ revision: number; changeCause?: string }> {
  return output
    .split('\n')
    .map((line) => /^(\d+)\s+(.*?)\s*$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ revision: Number(m[1]), ...(m[2] && m[2] !== '<none>' ? { changeCause: m[2] } : {}) }))
}

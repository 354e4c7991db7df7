// Nothing is left behind when a run is killed outright (SIGKILL: no handler runs). A run of this
// repository's CLI is started as a child, killed mid-test, and what it made is counted until it
// is gone: its processes (the main process's group and its reaper), its namespaces on a borrowed
// cluster, its containers and network on a cluster of its own, and its temp files.
import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe } from 'vitest'
import { $ } from 'zx'
import { kubeconfigForBorrowing, resourcesGone, retryUntil, useScenario } from '../lib/index.js'
import { RUN_LABEL } from '#images/lib/cluster-constants.mjs'
import { REPOSITORY, environmentOfNestedRun } from './nested-run.js'

const s = useScenario('kill-9')
const work = mkdtempSync(path.join(tmpdir(), 'kube-scenarios-kill-9-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))
const LEFTOVER_TIMEOUT_MS = 90_000

interface KilledRun {
  runId: string
  /** Process group of the run's main process (its test workers share it). */
  group: number
}

/** Starts `kube-scenarios run C2` with these settings, waits until its test is running, and kills it with SIGKILL. */
async function startAndKill(cluster: string, env: Record<string, string>, running: (runId: string) => Promise<void>): Promise<KilledRun> {
  const child = spawn(process.execPath, ['bin/kube-scenarios.mjs', 'run', 'C2', '--cluster', cluster, '--report', path.join(work, 'reports')], {
    cwd: REPOSITORY,
    env: { ...environmentOfNestedRun(), CI: 'true', ...env },
    detached: true, // its own process group, so that its workers can be counted
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk))
  child.stderr.on('data', (chunk: Buffer) => (output += chunk))
  const runId = await retryUntil(async () => ({ value: /cluster (\d{8}-[0-9a-f]{6}) ready/.exec(output)?.[1], reason: output.slice(-300) }), {
    description: 'the child run says its cluster is ready',
    timeoutMs: 180_000,
  })
  let exited: string | undefined
  child.once('exit', (code, signal) => (exited = `exited by itself (${signal ?? code}) before it was killed`))
  await running(runId).catch((error: Error) => {
    throw new Error(`${error.message}\nthe child run ${exited ?? 'still runs'}; its output ends:\n${output.slice(-2000)}`)
  })
  const group = child.pid!
  process.kill(group, 'SIGKILL')
  s.timeline.note(`killed run ${runId} (process ${group}) with SIGKILL`)
  return { runId, group }
}

/** Processes of the killed run still alive: its group, and any reaper of its run id. */
async function processesOf({ runId, group }: KilledRun): Promise<string[]> {
  const ps = await $({ quiet: true, nothrow: true })`ps -eo pid=,pgid=,args=`
  return ps.stdout
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => {
      const [, pgid] = line.split(/\s+/)
      return Number(pgid) === group || (line.includes('reaper.mjs') && line.includes(runId))
    })
}

const tempFilesOf = (runId: string) => readdirSync(tmpdir()).filter((f) => f.startsWith('kube-scenarios-') && f.includes(runId))

async function dockerLeftovers(runId: string): Promise<string[]> {
  const containers = await $({ quiet: true })`docker ps -aq --filter ${`label=${RUN_LABEL}=${runId}`}`
  const networks = await $({ quiet: true })`docker network ls -q --filter name=kube-scenarios-${runId}`
  return [...containers.stdout.split('\n'), ...networks.stdout.split('\n')].filter(Boolean)
}

/** Waits until nothing of the run is left; the timeout names what was. */
async function untilNothingLeft(what: string, leftovers: () => Promise<string[]>): Promise<void> {
  await retryUntil(
    async () => {
      const left = await leftovers()
      return left.length === 0 ? { value: true } : { reason: `left: ${left.join('; ')}` }
    },
    { description: `nothing of the killed run is left (${what})`, timeoutMs: LEFTOVER_TIMEOUT_MS, retryMs: 1000 },
  )
}

describe('kill-9', () => {
  s.test('a run on a borrowed cluster killed with SIGKILL leaves no process, namespace or temp file', async () => {
    const kubeconfig = path.join(work, 'borrowed.kubeconfig')
    writeFileSync(kubeconfig, kubeconfigForBorrowing(s.cluster), { mode: 0o600 })
    const killed = await s.step('start a run of C2 on this cluster and kill it while its namespace exists', () =>
      startAndKill('kubeconfig', { KUBE_SCENARIOS_KUBECONFIG: kubeconfig }, (runId) =>
        retryUntil(
          async () => {
            const { items } = await s.api.core.listNamespace({ labelSelector: `${RUN_LABEL}=${runId}` })
            return items.length ? { value: true } : { reason: 'no namespace of the run yet' }
          },
          { description: 'the child run created its namespace', timeoutMs: 60_000 },
        ).then(() => undefined),
      ),
    )
    await s.step('its processes exit', () => untilNothingLeft('processes', () => processesOf(killed)))
    await s.step('its namespaces are deleted', () =>
      s.waitFor(resourcesGone({ apiVersion: 'v1', kind: 'Namespace', labelSelector: `${RUN_LABEL}=${killed.runId}` }, `namespaces of run ${killed.runId}`), { timeoutMs: 180_000 }),
    )
    await s.step('its temp files are removed', () => untilNothingLeft('temp files', async () => tempFilesOf(killed.runId)))
  })

  s.test('a run on its own cluster killed with SIGKILL leaves no container, network, process or temp file', async () => {
    // The provider this run uses, when it makes clusters; a borrowed one's machine decides by itself.
    const provider = s.cluster.provider === 'kubeconfig' ? 'auto' : s.cluster.provider
    const killed = await s.step(`start a run of C2 on a ${provider} cluster of its own and kill it mid-run`, () =>
      startAndKill(provider, {}, (runId) =>
        retryUntil(
          async () => {
            const workers = (await processesOf({ runId, group: -1 })).length
            const containers = (await dockerLeftovers(runId)).length
            return containers > 0 && workers > 0 ? { value: true } : { reason: `containers ${containers}, reaper ${workers}` }
          },
          { description: 'the child run has its cluster containers and its reaper', timeoutMs: 60_000 },
        ).then(() => undefined),
      ),
    )
    await s.step('its processes exit', () => untilNothingLeft('processes', () => processesOf(killed)))
    await s.step('its containers and network are removed', () => untilNothingLeft('containers and networks', () => dockerLeftovers(killed.runId)))
    await s.step('its temp files are removed', () => untilNothingLeft('temp files', async () => tempFilesOf(killed.runId)))
  })
})

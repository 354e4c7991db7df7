// `npm run bench`: how fast the harness and its clusters are on this machine, as ratios to the
// anchors the project aims at (issue "Speed"). A benchmark, not a test: it measures, it never
// fails on a figure. It times, in one run: a warm cluster ready (1 node, 3 nodes) and a node
// joining, over N repetitions; the lag between an API write and the harness's watch seeing it;
// 20 equal one-Deployment scenario files on one cluster (the per-file cost of the harness);
// the chapter (run here, unless --no-chapter reads the newest report): its wall time against the
// sum of its tests, the controller floor (its longest test) and per-file walls, and the peak
// memory of the cluster's containers while it ran; the newest full conformance run (its wall
// time and serial phase); the offline build's steps (from the build's
// own timing record). Writes reports/bench/<time>.json and bench.html beside the reports.
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { getContainerRuntimeClient } from 'testcontainers'
import { COLD_BUILD_STEP, readTimings } from '#images/lib/timings.mjs'
import { createClients } from '../lib/api/client.js'
import { kubeconfigForBorrowing } from '../lib/cluster/kubeconfig.js'
import { MANAGED_LABEL } from '../lib/cluster/provider.js'
import { startRun } from '../lib/cluster/run.js'
import { watchObjects } from '../lib/observe/watch.js'
import type { RunReport } from '../lib/report/model.js'
import { REPORT_DATA_FILE, savedRunFolders } from '../lib/report/report-files.js'
import { readSelection } from '../bin/conformance-plan.js'
import { childEnv, runSettings, toEnv, type RunSettings } from '../lib/config/settings.js'

/** Scenario files of the per-file cost row. */
const MANY_FILES = 20

/** What the project aims at (seconds, or ms for the watch lag). */
const ANCHORS = {
  'cluster ready, 1 node (s)': 12,
  'cluster ready, 3 nodes (s)': 30,
  'node join (s)': 10,
  'watch lag p50 (ms)': 100,
  'watch lag p99 (ms)': 100,
  'chapter wall (s)': 180,
  [`${MANY_FILES} one-Deployment files, one cluster (s)`]: 30,
  [`${COLD_BUILD_STEP} (s)`]: 900,
  'conformance, every spec: wall (s)': 3600,
} as const

interface Row {
  what: string
  min: number
  median: number
  max: number
  samples: number
  anchor?: number
}

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
}
const round = (value: number) => Math.round(value * 100) / 100
const row = (what: string, values: number[]): Row => ({
  what,
  min: round(Math.min(...values)),
  median: round(quantile(values, 0.5)),
  max: round(Math.max(...values)),
  samples: values.length,
  ...(what in ANCHORS ? { anchor: ANCHORS[what as keyof typeof ANCHORS] } : {}),
})
const seconds = (ms: number) => Math.round(ms / 100) / 10

export interface BenchOptions {
  repetitions: number
  watchChanges: number
  /** The clusters it starts (default: the offline cluster unless the environment names another). */
  settings: RunSettings
  /** Run the chapter (and sample memory) instead of reading the newest report. */
  runChapter: boolean
}

export async function bench(options: BenchOptions): Promise<Row[]> {
  const rows: Row[] = []
  const ready: number[] = []
  const readyThree: number[] = []
  const joins: number[] = []
  let lags: number[] = []
  const { settings } = options
  for (let i = 1; i <= options.repetitions; i++) {
    console.log(`[bench] clusters ${i} of ${options.repetitions}`)
    const started = Date.now()
    const run = await startRun({ ...settings, nodes: 1 }, { log: () => undefined })
    ready.push(seconds(Date.now() - started))
    try {
      const { addNode } = await import('../lib/cluster/control.js')
      const joinStarted = Date.now()
      await addNode(run.info)
      joins.push(seconds(Date.now() - joinStarted))
      if (i === options.repetitions) {
        lags = await watchLag(run.info.kubeconfig, options.watchChanges)
        rows.push(row(`${MANY_FILES} one-Deployment files, one cluster (s)`, [await manyFilesWall(kubeconfigForBorrowing(run.info))]))
      }
    } finally {
      await run.stop()
    }
    const threeStarted = Date.now()
    const three = await startRun({ ...settings, nodes: 3 }, { log: () => undefined })
    readyThree.push(seconds(Date.now() - threeStarted))
    await three.stop()
  }
  rows.push(row('cluster ready, 1 node (s)', ready), row('cluster ready, 3 nodes (s)', readyThree), row('node join (s)', joins))
  rows.push(row('watch lag p50 (ms)', [quantile(lags, 0.5)]), row('watch lag p99 (ms)', [quantile(lags, 0.99)]))
  const memory = options.runChapter ? await runChapterSampling(settings.cluster) : undefined
  rows.push(...chapterRows(settings.reportDir), ...conformanceRows(settings.reportDir), ...(memory ? memoryRows(memory) : []), ...(await buildRows()))
  return rows
}

/** Peak memory use per cluster container while the chapter ran (bytes, by container name). */
type PeakMemory = Map<string, number>

/**
 * The chapter: the cookbook chapter's recipe files and the cluster smoke test they stand on. The
 * harness's proofs of itself (kill-9, kubectl-parity, your-project) run in `npm test`, not here.
 */
const CHAPTER_FILES = ['cluster-smoke', 'config-files', 'daemonset-statefulset', 'jobs', 'networking', 'rolling-update', 'scaling']

/**
 * Runs the chapter as `kube-scenarios run` does (its report becomes the newest), sampling the
 * memory of every kube-scenarios container every 2 s.
 */
async function runChapterSampling(cluster: string): Promise<PeakMemory> {
  console.log(`[bench] the chapter (kube-scenarios run ${CHAPTER_FILES.join(' ')}), sampling its cluster containers' memory`)
  const peaks: PeakMemory = new Map()
  const docker = (await getContainerRuntimeClient()).container.dockerode
  let running = true
  const sampling = (async () => {
    while (running) {
      const containers = await docker.listContainers({ filters: { label: [`${MANAGED_LABEL}=true`] } })
      await Promise.all(
        containers.map(async (c) => {
          const stats = (await docker.getContainer(c.Id).stats({ stream: false }).catch(() => undefined)) as { memory_stats?: { usage?: number } } | undefined
          const name = c.Names[0]?.replace(/^\//, '') ?? c.Id
          const usage = stats?.memory_stats?.usage ?? 0
          peaks.set(name, Math.max(peaks.get(name) ?? 0, usage))
        }),
      )
      await new Promise((resolve) => setTimeout(resolve, 2000))
    }
  })()
  const launcher = path.join(import.meta.dirname, '..', 'bin', 'kube-scenarios.mjs')
  const code = await new Promise<number | null>((resolve) => spawn(process.execPath, [launcher, 'run', ...CHAPTER_FILES, '--cluster', cluster], { stdio: 'inherit' }).on('exit', resolve))
  running = false
  await sampling
  if (code !== 0) console.log(`[bench] the chapter exited ${code}: its figures below come from a run that failed`)
  return peaks
}

function memoryRows(peaks: PeakMemory): Row[] {
  const mib = (bytes: number) => Math.round(bytes / 2 ** 20)
  const perNode = [...peaks.values()].map(mib)
  if (perNode.length === 0) return []
  return [row('chapter: peak memory per node container (MiB)', perNode), row('chapter: peak memory, all nodes (MiB)', [perNode.reduce((a, b) => a + b, 0)])]
}

/**
 * Milliseconds from each write's acknowledgement to the watch delivering it, on an idle cluster
 * (0 when the event arrived before the write's response).
 */
async function watchLag(kubeconfig: string, changes: number): Promise<number[]> {
  const clients = createClients(kubeconfig)
  const name = `bench-watch-lag-${Date.now()}`
  const namespace = 'default'
  await clients.core.createNamespacedConfigMap({ namespace, body: { metadata: { name }, data: { n: '0' } } })
  // Each write's value resolves the promise its measurement waits on, at the moment the watch delivers it.
  const delivered = new Map<string, (at: number) => void>()
  const handle = await watchObjects(clients, { apiVersion: 'v1', kind: 'ConfigMap', namespace, name }, {
    onChange: (_all, _type, object) => delivered.get(String((object as { data?: { n?: string } }).data?.n))?.(performance.now()),
  })
  const lags: number[] = []
  try {
    for (let n = 1; n <= changes; n++) {
      const seen = new Promise<number>((resolve) => delivered.set(String(n), resolve))
      await clients.core.patchNamespacedConfigMap({ namespace, name, body: [{ op: 'replace', path: '/data/n', value: String(n) }] })
      const acknowledged = performance.now()
      lags.push(Math.max(0, (await seen) - acknowledged))
    }
  } finally {
    handle.stop()
    await clients.core.deleteNamespacedConfigMap({ namespace, name })
  }
  return lags
}

/**
 * Wall time of MANY_FILES equal scenario files (one Deployment each: apply, rolled out) run by
 * the preset on the cluster of `kubeconfig`: what the harness costs per file (worker start,
 * imports, namespace create and delete) beside what the cluster does.
 */
async function manyFilesWall(kubeconfig: string): Promise<number> {
  console.log(`[bench] ${MANY_FILES} one-Deployment scenario files on one cluster`)
  const project = mkdtempSync(path.join(tmpdir(), 'kube-scenarios-bench-files-'))
  const lib = path.join(import.meta.dirname, '..', 'lib')
  try {
    mkdirSync(path.join(project, 'scenarios'))
    mkdirSync(path.join(project, 'fixtures'))
    writeFileSync(path.join(project, 'kubeconfig'), kubeconfig, { mode: 0o600 })
    writeFileSync(path.join(project, 'vitest.config.mts'), `import { kubeScenarios } from ${JSON.stringify(path.join(lib, 'vitest-preset.ts'))}\nexport default kubeScenarios()\n`)
    const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'one' }, spec: { replicas: 1, selector: { matchLabels: { app: 'one' } }, template: { metadata: { labels: { app: 'one' } }, spec: { containers: [{ name: 'nginx', image: 'nginx:1.27' }] } } } }
    writeFileSync(path.join(project, 'fixtures', 'one.yaml'), JSON.stringify(deployment))
    for (let i = 1; i <= MANY_FILES; i++) {
      writeFileSync(
        path.join(project, 'scenarios', `d${i}.test.ts`),
        [
          "import { describe } from 'vitest'",
          `import { deploymentRolledOut, useScenario } from ${JSON.stringify(path.join(lib, 'index.ts'))}`,
          `const s = useScenario('d${i}')`,
          `describe('d${i}', () => s.test('M${i} one Deployment rolls out', async () => {`,
          "  await s.step('apply', () => s.apply('one.yaml'))",
          "  await s.step('rolled out', () => s.waitFor(deploymentRolledOut(s.namespace, 'one')))",
          '}))',
          '',
        ].join('\n'),
      )
    }
    const vitest = path.join(import.meta.dirname, '..', 'node_modules', 'vitest', 'vitest.mjs')
    const env = childEnv(toEnv({ cluster: 'kubeconfig', kubeconfig: path.join(project, 'kubeconfig'), reportDir: path.join(project, 'reports'), history: path.join(project, 'history.jsonl') }))
    const started = Date.now()
    const code = await new Promise<number | null>((resolve) => spawn(process.execPath, [vitest, 'run'], { cwd: project, stdio: 'ignore', env }).on('exit', resolve))
    if (code !== 0) console.log(`[bench] the ${MANY_FILES} files exited ${code}: their wall time comes from a run that failed`)
    return seconds(Date.now() - started)
  } finally {
    rmSync(project, { recursive: true, force: true })
  }
}

/** The newest saved run that `matches`. */
function newestRun(reportsDir: string, matches: (run: RunReport) => boolean): RunReport | undefined {
  for (const dir of savedRunFolders(reportsDir)) {
    const run = JSON.parse(readFileSync(path.join(dir, REPORT_DATA_FILE), 'utf8')) as RunReport
    if (matches(run)) return run
  }
  return undefined
}

/** The newest chapter run: its wall time, the sum of its tests, each file's wall. */
export function chapterRows(reportsDir: string): Row[] {
  const run = newestRun(reportsDir, (r) => !r.conformance && r.files.some((f) => f.tests.length > 0))
  if (!run) return []
  const tests = run.files.flatMap((f) => f.tests).filter((t) => t.status !== 'skipped')
  return [
    row('chapter wall (s)', [seconds(run.endedAt - run.startedAt)]),
    row('chapter: sum of test durations (s)', [seconds(tests.reduce((sum, t) => sum + t.durationMs, 0))]),
    // What the controllers impose however much runs side by side: the longest single test (J4's
    // CronJob minutes).
    row('chapter: controller floor, longest test (s)', [seconds(Math.max(...tests.map((t) => t.durationMs)))]),
    ...run.files.map((f) => row(`file ${f.recipe} wall (s)`, [seconds(f.durationMs)])),
  ]
}

/**
 * The newest conformance run of every area (`kube-scenarios conformance` with no --areas or
 * --focus; an hour, so the bench reads it rather than running it): its wall time and its serial phase.
 */
export function conformanceRows(reportsDir: string): Row[] {
  const run = newestRun(reportsDir, (r) => Boolean(r.conformance && !r.conformance.selection.focus && r.conformance.selection.areas.length === readSelection().areas.length))
  const report = run?.conformance
  if (!report) return []
  return [
    row('conformance, every spec: wall (s)', [seconds(report.durationMs)]),
    ...(report.serial ? [row('conformance: serial phase (s)', [seconds(report.serial.durationMs)])] : []),
    row('conformance: specs passed', [report.specs.filter((s) => s.status === 'passed').length]),
  ]
}

/**
 * The build's step times as it last recorded them (a cold build's right after one; steps run side
 * by side), and the wall time of the last cold build (`npm run images` on an empty cache).
 */
async function buildRows(): Promise<Row[]> {
  const timings = await readTimings()
  const { [COLD_BUILD_STEP]: cold, ...steps } = timings
  return [
    ...Object.entries(steps).map(([step, { seconds: s }]) => row(`build ${step} (s)`, [s])),
    ...(cold ? [row(`${COLD_BUILD_STEP} (s)`, [cold.seconds])] : []),
  ]
}

export function formatRows(rows: readonly Row[]): string {
  const header = `${'measure'.padEnd(40)} ${'min'.padStart(8)} ${'median'.padStart(8)} ${'max'.padStart(8)} ${'n'.padStart(4)} ${'anchor'.padStart(7)} ${'ratio'.padStart(6)}`
  return [
    header,
    ...rows.map((r) => {
      const ratio = r.anchor ? (r.median / r.anchor).toFixed(2) : ''
      return `${r.what.padEnd(40)} ${String(r.min).padStart(8)} ${String(r.median).padStart(8)} ${String(r.max).padStart(8)} ${String(r.samples).padStart(4)} ${String(r.anchor ?? '').padStart(7)} ${ratio.padStart(6)}`
    }),
  ].join('\n')
}

/** A self-contained page: one bar per anchored measure, its median against the anchor line. */
export function benchPage(rows: readonly Row[], at: string): string {
  const anchored = rows.filter((r) => r.anchor)
  const bars = anchored
    .map((r, i) => {
      const ratio = r.median / r.anchor!
      const width = Math.min(400, Math.round(200 * ratio))
      const y = 30 + i * 28
      return `<text x="0" y="${y + 14}">${r.what}</text><rect x="230" y="${y}" width="${width}" height="18" fill="${ratio <= 1 ? '#2e7d32' : '#c62828'}"/><text x="${236 + width}" y="${y + 14}">${r.median} (${ratio.toFixed(2)}×)</text>`
    })
    .join('')
  const height = 40 + anchored.length * 28
  const escaped = formatRows(rows).replace(/&/g, '&amp;').replace(/</g, '&lt;')
  return `<!doctype html><meta charset="utf-8"><title>kube-scenarios bench ${at}</title><body style="font-family:sans-serif"><h1>kube-scenarios bench</h1><p>${at}; bars: median against the anchor (the line at 1×)</p><svg width="760" height="${height}" font-size="12"><line x1="430" y1="20" x2="430" y2="${height}" stroke="#555" stroke-dasharray="4"/>${bars}</svg><pre>${escaped}</pre></body>`
}

export async function main({ repetitions, chapter }: { repetitions: number; chapter: boolean }): Promise<number> {
  const environment = runSettings()
  // The offline cluster unless the environment names a provider.
  const settings = environment.cluster === 'auto' ? { ...environment, cluster: 'local' as const } : environment
  const reportsDir = settings.reportDir
  const rows = await bench({ repetitions, watchChanges: 300, settings, runChapter: chapter })
  const at = new Date().toISOString()
  const table = formatRows(rows)
  console.log(`\n${table}`)
  const dir = path.join(reportsDir, 'bench')
  mkdirSync(dir, { recursive: true })
  writeFileSync(path.join(dir, `${at.replace(/[:.]/g, '-')}.json`), `${JSON.stringify({ at, rows }, null, 2)}\n`)
  writeFileSync(path.join(dir, 'bench.html'), benchPage(rows, at))
  console.log(`\nwritten: ${dir}/bench.html and ${at.replace(/[:.]/g, '-')}.json`)
  return 0
}

// `kube-scenarios conformance`: upstream Kubernetes' e2e conformance specs (all of them unless
// told otherwise) against the offline cluster (or a kubeconfig's), reported beside the scenarios:
// same report folder, same history. It builds the e2e suite and its test images
// (images/conformance.mjs, cached), starts the cluster as a run does (same set-up, same reaper),
// loads the test images into every node's containerd, runs the suite (the parallel specs, then the
// [Serial] ones alone), reads ginkgo's JUnit and JSON report back, and leaves what a certified run
// hands in (e2e.log, junit_01.xml, PRODUCT.yaml). What it selects: conformance-plan.ts.
import { spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream, existsSync, readFileSync } from 'node:fs'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { RUN_LABEL } from '#images/lib/cluster-constants.mjs'
import { LOCAL_NODE_RUNTIME, importArchive } from '../lib/cluster/images.js'
import { readHeldCluster, type HeldCluster } from '../lib/cluster/kubeconfig.js'
import type { RunSettings } from '../lib/config/settings.js'
import type { ClusterInfo } from '../lib/cluster/provider.js'
import { startRun } from '../lib/cluster/run.js'
import { describeNodes } from '../lib/report/cluster-nodes.js'
import { CONFORMANCE_LABEL, conformanceSpecs, parseJunitCases, serialPhaseOf, type ConformanceReport } from '../lib/report/conformance.js'
import { renderProduct } from '../lib/report/conformance-product.js'
import { formatDuration } from '../lib/report/duration.js'
import type { RunReport } from '../lib/report/model.js'
import { runFolder, writeRunReport } from '../lib/report/report-files.js'
import { GINKGO_JSON_REPORT, SELECTION_FILE, SuiteProgress, defaultParallel, ginkgoArgs, readSelection } from './conformance-plan.js'

export const DEFAULT_CONFORMANCE_NODES = 2
/** Where the suite's output goes inside the run's report folder. */
const E2E_DIR = 'e2e'
const JUNIT_FILE = 'junit_01.xml'
/** The suite's whole output, as a certified run's e2e.log (ginkgo -v, no colour). */
const LOG_FILE = 'e2e.log'
const PRODUCT_FILE = 'PRODUCT.yaml'
/** How often the terminal gets a progress line while the suite runs (the whole output is in e2e.log). */
const PROGRESS_EVERY_MS = 60_000

export interface ConformanceOptions {
  /** The cluster (local: the offline cluster started for the run, DEFAULT_CONFORMANCE_NODES nodes unless said; or kubeconfig) and the report folder. */
  settings: RunSettings
  /** Parallel ginkgo processes; default defaultParallel(). */
  parallel?: number
  /** Areas of the selection file, or one of its subsets (default: all areas). */
  areas?: string[]
  /** Replaces the areas' focus (a regular expression over spec names). */
  focus?: string
  log?: (line: string) => void
}

/** Runs the conformance specs; returns the exit code (1 when a spec failed or the suite did not run). */
export async function conformance(options: ConformanceOptions): Promise<number> {
  const log = options.log ?? ((line: string) => console.log(`[kube-scenarios] ${line}`))
  // The run's wall time includes the build and the cluster's start; the section shows the suite's own.
  const runStartedAt = Date.now()
  const interruptions = handleInterruptions(log)
  const selection = readSelection(SELECTION_FILE, { areas: options.areas, focus: options.focus })
  const parallel = options.parallel ?? defaultParallel()
  const { buildConformance } = await import('#images/conformance.mjs')
  const build = await buildConformance({ log: (line) => log(`docker: ${line}`) })
  const { settings } = options
  const reportsDir = settings.reportDir
  const run = await startRun(settings, { log })
  const { info } = run
  const kubeconfig = path.join(tmpdir(), `kube-scenarios-${info.runId}-e2e.kubeconfig`)
  try {
    const folder = runFolder(reportsDir, info.runId)
    const outputDir = path.join(folder, E2E_DIR)
    await mkdir(outputDir, { recursive: true })
    await writeFile(kubeconfig, info.kubeconfig, { mode: 0o600 })
    const nodeImages = await loadTestImages(info, readHeldCluster(settings), build.imagesArchive, log)
    const nodes = await describeNodes(info.kubeconfig)
    const startedAt = Date.now()
    const args = ginkgoArgs({ e2eTest: build.e2eTest, selection, parallel, kubeconfig, kubectl: build.kubectl, outputDir })
    log(`conformance: ${CONFORMANCE_LABEL} specs of ${selection.focus ? `focus ${selection.focus}` : selection.areas.map((a) => a.name).join(', ')} (${selection.skip.length} skipped by ${path.relative(process.cwd(), SELECTION_FILE)}), ${parallel} ginkgo processes then the [Serial] ones alone, ${nodes?.length ?? '?'} nodes; log ${path.join(outputDir, LOG_FILE)}`)
    const code = await runLogged(build.ginkgo, args, path.join(outputDir, LOG_FILE), outputDir, interruptions, log)
    const { interrupted } = interruptions
    const endedAt = Date.now()
    const junit = path.join(outputDir, JUNIT_FILE)
    const specs = existsSync(junit) ? conformanceSpecs(parseJunitCases(readFileSync(junit, 'utf8')), selection) : []
    const jsonReport = path.join(outputDir, GINKGO_JSON_REPORT)
    const serial = existsSync(jsonReport) ? serialPhaseOf(readFileSync(jsonReport, 'utf8')) : undefined
    const report: ConformanceReport = {
      suiteVersion: build.kubernetesVersion,
      selection,
      parallel,
      durationMs: endedAt - startedAt,
      ...(serial ? { serial } : {}),
      specs,
      files: { junit: `${E2E_DIR}/${JUNIT_FILE}`, log: `${E2E_DIR}/${LOG_FILE}`, product: `${E2E_DIR}/${PRODUCT_FILE}` },
    }
    const product = renderProduct({ provider: info.provider, runId: info.runId, kubernetesVersion: info.kubernetesVersion, nodes, nodeImages, e2eTest: build.e2eTest, testImages: build.images, report })
    await writeFile(path.join(outputDir, PRODUCT_FILE), product)
    const failed = specs.filter((s) => s.status === 'failed').length
    // No JUnit: the suite never got to run (ginkgo's own error is in the log).
    const suiteBroken = !existsSync(junit) || (code !== 0 && failed === 0)
    const unhandledErrors = suiteBroken ? [{ name: 'ConformanceSuiteError', message: `ginkgo exited with ${code} ${existsSync(junit) ? 'but no spec failed' : 'and wrote no JUnit'}; see ${report.files.log}` }] : []
    const runReport: RunReport = {
      runId: info.runId,
      provider: info.provider,
      kubernetesVersion: info.kubernetesVersion,
      ...(nodes ? { nodes: nodes.map((n) => n.name) } : {}),
      startedAt: runStartedAt,
      endedAt,
      outcome: interrupted ? 'interrupted' : failed || suiteBroken ? 'failed' : 'passed',
      files: [],
      unhandledErrors,
      conformance: report,
    }
    const index = writeRunReport(runReport, { reportsDir })
    const count = (status: string) => specs.filter((s) => s.status === status).length
    const serialText = serial ? `; serial phase: ${serial.specs} specs in ${formatDuration(serial.durationMs)}` : ''
    log(`conformance: ${specs.length} specs selected: ${count('passed')} passed, ${failed} failed, ${count('skipped')} skipped, in ${formatDuration(endedAt - startedAt)}${serialText}`)
    log(`report: ${index} (e2e.log, junit_01.xml, PRODUCT.yaml: ${outputDir})`)
    return runReport.outcome === 'passed' ? 0 : 1
  } finally {
    interruptions.dispose()
    await run.stop()
    await rm(kubeconfig, { force: true })
  }
}

/**
 * Imports the test images into every node's containerd (the cluster's own nodes only: a borrowed
 * cluster of other making pulls them from registry.k8s.io itself, if it can). Returns the node
 * containers' images (none for a borrowed cluster).
 */
async function loadTestImages(info: ClusterInfo, held: HeldCluster | undefined, archive: string, log: (line: string) => void): Promise<string[]> {
  const runId = info.provider === 'local' ? info.runId : held?.provider === 'local' ? held.runId : undefined
  if (!runId) {
    log(`conformance: the ${info.provider} cluster's nodes are not kube-scenarios' own: they must pull the test images themselves (registry.k8s.io)`)
    return []
  }
  const started = Date.now()
  const nodes = (await output('docker', ['ps', '--quiet', '--filter', `label=${RUN_LABEL}=${runId}`])).split('\n').filter(Boolean)
  if (nodes.length === 0) throw new Error(`no node container is labelled ${RUN_LABEL}=${runId}`)
  for (const node of nodes) await importArchive(node, archive, LOCAL_NODE_RUNTIME, `the test images into node ${node}`)
  log(`conformance: test images loaded into ${nodes.length} node(s) in ${formatDuration(Date.now() - started)}`)
  const images = (await output('docker', ['inspect', '--format', '{{.Config.Image}}', ...nodes])).split('\n').filter(Boolean)
  return [...new Set(images)]
}

/** What Ctrl-C and SIGTERM do, for the whole command. */
interface Interruptions {
  /** The running suite: a signal goes to it (ginkgo ends the running specs and writes its JUnit). */
  suite?: ChildProcess
  readonly interrupted: boolean
  dispose(): void
}

/**
 * Before the suite runs, a signal ends the process (the run's reaper removes its cluster and temp
 * files, as after kill -9); while it runs, the signal is passed on to ginkgo and its spec
 * processes, which end the running specs (counted as failed, the run as interrupted), and the
 * report is still written. The command owns the process: the TypeScript loader's handlers would swallow
 * the signal or exit before the report is written.
 */
function handleInterruptions(log: (line: string) => void): Interruptions {
  const signals = ['SIGINT', 'SIGTERM'] as const
  let interrupted = false
  const state: Interruptions = {
    get interrupted() {
      return interrupted
    },
    dispose: () => signals.forEach((signal) => process.off(signal, onSignal)),
  }
  function onSignal(signal: NodeJS.Signals) {
    interrupted = true
    // ginkgo's CLI does not pass a signal on to its spec processes (a terminal signals them all):
    // the suite runs in its own process group, and the whole group gets it.
    if (state.suite?.pid) return void process.kill(-state.suite.pid, signal)
    log(`conformance: ${signal} before the suite ran: stopping (the reaper removes the run's cluster)`)
    process.exit(130)
  }
  for (const signal of signals) {
    process.removeAllListeners(signal)
    process.on(signal, onSignal)
  }
  return state
}

/**
 * Runs ginkgo with its whole output in the log file and, on this terminal, what matters: the
 * suite's header and summary, each failed spec as it ends, a progress line a minute. Returns its
 * exit code.
 */
async function runLogged(command: string, args: string[], logFile: string, cwd: string, interruptions: Interruptions, log: (line: string) => void): Promise<number> {
  const file = createWriteStream(logFile)
  const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  interruptions.suite = child
  const progress = new SuiteProgress(log)
  const ticker = setInterval(() => progress.report(), PROGRESS_EVERY_MS)
  const follow = (stream: NodeJS.ReadableStream) => {
    let partial = ''
    stream.on('data', (chunk: Buffer) => {
      file.write(chunk)
      const lines = (partial + chunk.toString()).split('\n')
      partial = lines.pop() ?? ''
      for (const line of lines) progress.line(line)
    })
  }
  follow(child.stdout!)
  follow(child.stderr!)
  try {
    return await exitOf(child)
  } finally {
    clearInterval(ticker)
    interruptions.suite = undefined
    await new Promise((resolve) => file.end(resolve))
  }
}

function exitOf(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)))
  })
}

async function output(command: string, args: string[]): Promise<string> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] })
  let text = ''
  child.stdout!.on('data', (chunk: Buffer) => (text += chunk))
  const code = await exitOf(child)
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${code})`)
  return text
}

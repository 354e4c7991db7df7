// The kube-scenarios command: run scenarios (through vitest's node API), re-render and check
// reports, sweep leftovers. bin/kube-scenarios.mjs loads this file; main() returns the exit code.
import path from 'node:path'
import { parseArgs } from 'node:util'
import { startVitest } from 'vitest/node'
import { checkReportInBrowser } from '../lib/report/browser-check.js'
import { mergeShards, readShardReports } from '../lib/report/merge.js'
import { exportSettings, parseRunSettings, runSettings, settingFlagOptions, settingsHelp, type RunSettings } from '../lib/settings.js'
import { countByStatus, passMarks, strictVerdict, summaryLine } from '../lib/report/model.js'
import { LATEST_DIR, regenerateReport, writeRunReport } from '../lib/report/report-files.js'
import { planRun, type RunPlan } from './run-plan.js'

/** The project being tested: its vitest config, scenarios/, fixtures/ and reports/ (this repository, or a user's). */
const PROJECT = process.cwd()

export const USAGE = `kube-scenarios: Kubernetes recipes as end-to-end scenarios

  kube-scenarios run [recipe|ID...] [--cluster k3s|local|kubeconfig|auto] [--nodes N]
                     [--kubeconfig FILE] [--report DIR] [--keep-namespaces] [--shard I/N] [--strict]
      Runs the scenarios (all, the recipes named, e.g. scaling, or the tests named by ID,
      e.g. S2 U5), prints progress, writes DIR/<run-id>/index.html and junit.xml (DIR: reports).
      Exits 1 when a test fails; an undecided test (a claim what was observed could not decide)
      is shown as such and exits 0 unless --strict. --shard I/N runs the I-th of N parts of the
      files (each part on its own cluster, e.g. one per CI runner); report --merge folds the
      parts into one run.
  kube-scenarios soak [--runs N] [--reuse-cluster] [recipe|ID...] [run's options]
      Runs the selection N times (default 10; a fresh cluster each run, or one shared cluster
      with --reuse-cluster) and prints per ID how often it passed and failed, from the run
      history (the HTML report shows the same as history dots and flake rates). Exits 1 when a
      run failed.
  kube-scenarios conformance [--cluster local|kubeconfig] [--kubeconfig FILE] [--nodes N]
                             [--parallel N] [--areas NAME,...] [--focus REGEX] [--report DIR]
      Runs every upstream Kubernetes e2e [Conformance] spec of the cluster's release (424 in
      v1.34) against the offline cluster (default; --nodes, default 2: the scheduling,
      DaemonSet and architecture specs need two schedulable nodes) or a kubeconfig's: the
      parallel specs on --parallel ginkgo processes (default two per core, at most 4), then
      the [Serial] ones alone. --areas picks areas or a subset of images/e2e/conformance.yaml
      (e.g. sig-apps,sig-node, or chapter: the chapter's 145), --focus REGEX any specs; the
      same file holds the skip list. Builds the e2e suite and every test image first
      (cached), loads the images into the nodes. Writes DIR/<run-id>/index.html with a
      conformance section and, in DIR/<run-id>/e2e, what a certified run hands in: e2e.log,
      junit_01.xml and PRODUCT.yaml. Exits 1 when a spec failed.
  kube-scenarios init [DIR] [--force]
      Scaffolds a project in DIR (default: here): vitest.config.mts with the kube-scenarios preset,
      scenarios/example.test.ts with its fixture, an example app of your own (app/, built by
      \`npm run build:app\`, its scenario and fixture), scripts in package.json. Refuses to
      overwrite existing files (names them) unless --force.
  kube-scenarios up [--cluster local|k3s|auto] [--nodes N] [--kubeconfig-out FILE]
      Starts a cluster and holds it until Ctrl-C or \`down\`: writes its kubeconfig (0600),
      prints \`export KUBECONFIG=…\`, its NodePort and Ingress URLs and how to run scenarios
      against it (run --cluster kubeconfig --kubeconfig FILE, which can grow it too).
  kube-scenarios load IMAGE... [--run RUN_ID]
      Puts images of this machine's Docker (e.g. \`docker build -t myapp:dev .\`) into every
      node of a held cluster (KUBECONFIG's, else the only one held here, or --run's), and into
      nodes it adds later; prints size, node and seconds per image. A run's own cluster loads
      the images named in kubeScenarios({ images }) or useScenario(recipe, { images }).
  kube-scenarios collect [--run RUN_ID]
      What a failed test collects, on demand, from a held cluster (the only one, or --run's):
      per kube-scenarios namespace its objects as YAML, events, container logs (and previous
      ones), the Nodes, the cluster's Warning events and, on the offline cluster, the nodes'
      component logs, into DIR/<run-id>-collect-<time>/forensics/ (DIR: reports).
  kube-scenarios dev [recipe|file...] [--run RUN_ID]
      The inner loop: runs the scenarios named (default all) on the held cluster (the only one,
      or --run's; start one with \`up\`) and again on every save of a scenario, fixture or
      module they import, in watch mode. Namespaces are deleted without waiting for them.
  kube-scenarios down [--run RUN_ID]
      Stops a held cluster (the only one, or the one named) and removes everything it created.
  kube-scenarios kubectl [--run RUN_ID] ARGS...
      kubectl (the one the offline build compiled, else yours) against KUBECONFIG, else the
      held cluster.
  kube-scenarios report [DIR] [--check] [--screenshot FILE]
      Re-renders a report folder (default reports/latest) with the current history and prints
      its path. --check renders it in headless Chromium and checks the summary, every recipe,
      a timeline chart (or a conformance run's section and skip list) and the failed tests'
      diagnostics are shown (--screenshot keeps the PNG).
  kube-scenarios report --merge DIR... [--check]
      Folds the report folders of every shard of a run into one report, one JUnit and one
      history record (written like a run's, under the reports folder); exits 1 if a test failed
      (or, with KUBE_SCENARIOS_STRICT=1, is undecided).
  kube-scenarios clean [--run RUN_ID] [--dry-run] [--kubeconfig FILE]
      Removes the containers and networks labelled kube-scenarios.dev/run and the namespaces
      labelled kube-scenarios.dev/managed=true on the kubeconfig's cluster (of every run, a run
      in progress included, unless --run names one).

Settings (environment variables; a flag where shown wins over its variable):
${settingsHelp()}
`

type Command = (args: string[]) => Promise<number>

const COMMANDS: Record<string, Command> = { run, soak: soakRuns, conformance: runConformance, bench: runBench, init: scaffold, up: holdUp, down: holdDown, load: loadIntoHeld, collect: collectFromHeld, dev: devLoop, kubectl: runKubectl, report, clean: sweep }

/** Runs one command line; returns the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...args] = argv
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(USAGE)
    return name ? 0 : 2
  }
  const command = COMMANDS[name]
  if (!command) return usageError(`unknown command "${name}"`)
  try {
    return await command(args)
  } catch (error) {
    process.stderr.write(`kube-scenarios ${name}: ${(error as Error).message}\n(kube-scenarios help shows the usage)\n`)
    return 1
  }
}

/** run and soak take every setting's flag (lib/settings.ts). */
const RUN_OPTIONS = settingFlagOptions()

type RunValues = Record<string, string | boolean | undefined>

/** Checks the run's settings (flags over environment) and plans the selection; the settings go to vitest's workers through the environment. */
function prepareRun(values: RunValues, positionals: string[]): { plan: RunPlan; settings: RunSettings } {
  const settings = parseRunSettings(values)
  const plan = planRun(positionals, path.join(PROJECT, 'scenarios'))
  for (const note of plan.notes ?? []) process.stdout.write(`kube-scenarios: ${note}\n`)
  exportSettings(settings)
  return { plan, settings }
}

/** One vitest run of the plan; returns its exit code. */
async function runPlan(plan: RunPlan, { shard }: Pick<RunSettings, 'shard'>): Promise<number> {
  const vitest = await startVitest(plan.files, { root: PROJECT, run: true, watch: false, project: 'scenarios', testNamePattern: plan.testNamePattern, ...(shard ? { shard } : {}) })
  // close() runs the global teardown: the cluster stops with everything it created.
  await vitest.close()
  return process.exitCode === undefined || process.exitCode === 0 ? 0 : 1
}

async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: RUN_OPTIONS })
  const { plan, settings } = prepareRun(values, positionals)
  return runPlan(plan, settings)
}

async function soakRuns(args: string[]): Promise<number> {
  const parsed = parseArgs({ args, allowPositionals: true, options: { ...RUN_OPTIONS, runs: { type: 'string' }, 'reuse-cluster': { type: 'boolean' } } })
  const { positionals } = parsed
  const values = parsed.values as RunValues
  const runs = Number(values.runs ?? 10)
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive whole number, not "${values.runs}"`)
  if (values.shard) throw new Error('soak runs whole selections; it does not take --shard')
  if (values['reuse-cluster'] && values.cluster === 'kubeconfig') throw new Error('--reuse-cluster starts a cluster to share; with --cluster kubeconfig every run already borrows yours')
  const { plan, settings } = prepareRun(values, positionals)
  const { soak, formatSoakTable } = await import('./soak.js')
  const { rows, failedRuns } = await soak({
    runs,
    reuseCluster: Boolean(values['reuse-cluster']),
    settings,
    historyFile: settings.history,
    runOnce: () => runPlan(plan, runSettings()),
  })
  process.stdout.write(`\n${formatSoakTable(rows, runs)}\n${failedRuns} of ${runs} runs failed\n`)
  return failedRuns === 0 ? 0 : 1
}

async function runConformance(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { cluster: { type: 'string' }, kubeconfig: { type: 'string' }, nodes: { type: 'string' }, parallel: { type: 'string' }, areas: { type: 'string' }, focus: { type: 'string' }, report: { type: 'string' } },
  })
  const cluster = values.cluster ?? (values.kubeconfig ? 'kubeconfig' : 'local')
  if (cluster !== 'local' && cluster !== 'kubeconfig') throw new Error(`--cluster must be local or kubeconfig (the conformance run loads its test images into the nodes), not "${cluster}"`)
  const { conformance, DEFAULT_CONFORMANCE_NODES } = await import('./conformance.js')
  const settings = parseRunSettings({ cluster, nodes: values.nodes ?? String(DEFAULT_CONFORMANCE_NODES), kubeconfig: values.kubeconfig, report: values.report })
  return conformance({
    settings,
    parallel: values.parallel === undefined ? undefined : parseCount('--parallel', values.parallel),
    areas: values.areas?.split(',').map((a) => a.trim()).filter(Boolean),
    focus: values.focus,
  })
}

/** `npm run bench` in this repository (bench/ is not part of the package). */
async function runBench(args: string[]): Promise<number> {
  const { main: bench } = await import('../bench/bench.js')
  return bench(args)
}

async function scaffold(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { force: { type: 'boolean' } } })
  if (positionals.length > 1) throw new Error(`init takes one folder, not ${positionals.length}`)
  const target = path.resolve(positionals[0] ?? '.')
  const { init } = await import('./init.js')
  process.stdout.write(`kube-scenarios: writing a project in ${target}\n`)
  init(target, { force: values.force })
  return 0
}

async function holdUp(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { cluster: { type: 'string' }, nodes: { type: 'string' }, 'kubeconfig-out': { type: 'string' } } })
  const cluster = values.cluster ?? 'auto'
  if (!['k3s', 'local', 'auto'].includes(cluster)) throw new Error(`--cluster must be local, k3s or auto (up starts a cluster), not "${cluster}"`)
  // A cluster of its own: a kubeconfig in the environment is not one to hold.
  const settings = { ...parseRunSettings({ cluster, nodes: values.nodes }), kubeconfig: undefined }
  const { up } = await import('./hold.js')
  await up({ settings, kubeconfigOut: values['kubeconfig-out'] })
  return 0
}

async function holdDown(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { run: { type: 'string' } } })
  const { down } = await import('./hold.js')
  await down(values.run)
  return 0
}

async function loadIntoHeld(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { run: { type: 'string' } } })
  if (positionals.length === 0) throw new Error('load takes the images to load, e.g. `kube-scenarios load myapp:dev`')
  const { load } = await import('./hold.js')
  await load(positionals, values.run)
  return 0
}

async function devLoop(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { run: { type: 'string' } } })
  const { heldKubeconfig } = await import('./hold.js')
  const kubeconfig = heldKubeconfig(values.run)
  const plan = planRun(positionals, path.join(PROJECT, 'scenarios'))
  exportSettings({ ...parseRunSettings({ cluster: 'kubeconfig', kubeconfig }), dev: true })
  process.stdout.write(`kube-scenarios dev: on the held cluster of ${kubeconfig}; saving a scenario or fixture runs it again (q quits)\n`)
  // Fixtures are read, not imported: vitest's module graph does not see them, so a change to one runs the files again.
  const forceRerunTriggers = ['**/package.json/**', '**/vitest.config.*/**', path.join(PROJECT, 'fixtures', '**')]
  const vitest = await startVitest(plan.files, { root: PROJECT, watch: true, project: 'scenarios', testNamePattern: plan.testNamePattern, forceRerunTriggers })
  await new Promise<void>((resolve) => vitest.onClose(() => resolve()))
  return 0
}

async function collectFromHeld(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { run: { type: 'string' } } })
  const { collect } = await import('./hold.js')
  process.stdout.write(`${await collect(values.run)}\n`)
  return 0
}

async function runKubectl(args: string[]): Promise<number> {
  const { kubectl } = await import('./hold.js')
  return kubectl(args)
}

function parseCount(flag: string, value: string): number {
  if (!/^[1-9]\d*$/.test(value)) throw new Error(`${flag} must be a positive whole number, not "${value}"`)
  return Number(value)
}

async function report(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { check: { type: 'boolean' }, screenshot: { type: 'string' }, merge: { type: 'boolean' } } })
  const { reportDir: reportsDir, strict } = runSettings()
  let dir: string
  let failed = false
  if (values.merge) {
    const run = mergeShards(readShardReports(positionals.map((p) => path.resolve(p))))
    const index = writeRunReport(run, { reportsDir })
    const counts = countByStatus(run.files)
    const marks = passMarks(run.files)
    const strictFailure = strictVerdict(marks, strict)
    failed = run.outcome !== 'passed' || counts.failed > 0 || Boolean(strictFailure)
    dir = path.dirname(index)
    process.stdout.write(`${index}\n${strictFailure ? `${strictFailure}\n` : ''}${run.shards!.length} shards merged: ${summaryLine(counts, marks)}\n`)
  } else {
    if (positionals.length > 1) throw new Error(`report takes one folder, not ${positionals.length} (to fold shards into one report: report --merge DIR...)`)
    dir = path.resolve(positionals[0] ?? path.join(reportsDir, LATEST_DIR))
    process.stdout.write(`${regenerateReport(dir)}\n`)
  }
  if (!values.check && !values.screenshot) return failed ? 1 : 0
  const screenshot = path.resolve(values.screenshot ?? path.join(dir, 'screenshot.png'))
  const check = checkReportInBrowser(dir, { screenshot })
  process.stdout.write(`screenshot: ${check.screenshot}\n`)
  if (check.missing.length === 0) {
    process.stdout.write('the rendered report shows the summary, every recipe (a timeline chart) or the conformance section, and the failed tests\' diagnostics\n')
    return failed ? 1 : 0
  }
  process.stderr.write(`the rendered report lacks: ${check.missing.join('; ')}\n`)
  return 1
}

async function sweep(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { run: { type: 'string' }, 'dry-run': { type: 'boolean' }, kubeconfig: { type: 'string' } } })
  // Loaded on demand: Docker's and Kubernetes' clients are heavy for the other commands.
  const { clean } = await import('./clean.js')
  await clean({ runId: values.run, dryRun: values['dry-run'], kubeconfig: values.kubeconfig && path.resolve(values.kubeconfig) })
  return 0
}

function usageError(message: string): number {
  process.stderr.write(`kube-scenarios: ${message}\n\n${USAGE}`)
  return 2
}

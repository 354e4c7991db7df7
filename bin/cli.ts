// The kube-scenarios command: run scenarios (through vitest's node API), re-render and check
// reports, sweep leftovers. bin/kube-scenarios.mjs loads this file; main() returns the exit code.
import path from 'node:path'
import { Command, CommanderError, Option } from 'commander'
import { startVitest } from 'vitest/node'
import { completionScript } from './completion.js'
import { checkReportInBrowser } from '../lib/report/browser-check.js'
import { mergeShards, readShardReports } from '../lib/report/merge.js'
import { exportSettings, parseRunSettings, runSettings, settingFlags, settingsHelp, type RunSettings } from '../lib/config/settings.js'
import { countByStatus, passMarks, strictVerdict, summaryLine } from '../lib/report/model.js'
import { LATEST_DIR, regenerateReport, writeRunReport } from '../lib/report/report-files.js'
import { planRun, type RunPlan } from './run-plan.js'

/** The project being tested: its vitest config, scenarios/, fixtures/ and reports/ (this repository, or a user's). */
const PROJECT = process.cwd()

/**
 * Every command with its options, help text and example (commander: typed options, generated
 * `--help` per command, "did you mean" for typos). Handlers return the exit code through `done`.
 */
export function buildProgram(done: (code: number) => void): Command {
  const program = new Command('kube-scenarios')
    .description('Kubernetes recipes as end-to-end scenarios against ephemeral clusters')
    .showSuggestionAfterError(true)
    // Usage errors, help and version return through main, not process.exit (subcommands inherit it).
    .exitOverride()
    // Options belong to the command they follow (kubectl's go through to kubectl).
    .enablePositionalOptions()
    .showHelpAfterError('(kube-scenarios <command> --help shows its usage)')
    .addHelpText('after', `\nSettings (environment variables; a flag where shown wins over its variable):\n${settingsHelp()}\n`)
  const action = (handler: (...args: never[]) => Promise<number>) => async (...args: unknown[]) => done(await (handler as (...a: unknown[]) => Promise<number>)(...args))
  const example = (command: Command, ...lines: string[]) => command.addHelpText('after', `\nExample${lines.length > 1 ? 's' : ''}:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`)

  example(
    withSettingFlags(program.command('run').argument('[selection...]', 'recipes (e.g. scaling) or test IDs (e.g. S2 U5); default: every scenario'))
      .description('Runs the scenarios, prints progress, writes <report>/<run-id>/index.html and junit.xml; exits 1 when a test fails; an undecided test (a claim what was observed could not decide) is shown as such and exits 0 unless --strict. --shard I/N runs the I-th of N parts (a cluster per part, e.g. one per CI runner); report --merge folds the parts into one run.')
      .action(action(run)),
    'kube-scenarios run scaling S2 --cluster local',
    'kube-scenarios run --cluster kubeconfig --kubeconfig ~/.kube/config',
  )
  example(
    withSettingFlags(program.command('soak').argument('[selection...]', 'recipes or test IDs, as run takes them'))
      .description('Runs the selection N times (a fresh cluster each run, or one shared with --reuse-cluster) and prints per ID how often it passed and failed, from the run history; exits 1 when a run failed.')
      .option('--runs <n>', 'how many runs', '10')
      .option('--reuse-cluster', 'one cluster for every run')
      .action(action(soakRuns)),
    'kube-scenarios soak --runs 5 rolling-update',
  )
  example(
    program
      .command('conformance')
      .description("Runs every upstream Kubernetes e2e [Conformance] spec of the cluster's release on the offline cluster (default) or a kubeconfig's: parallel specs first, then the [Serial] ones alone. Builds the e2e suite and its test images first (cached); writes the report with e2e.log, junit_01.xml and PRODUCT.yaml; exits 1 when a spec failed.")
      .option('--cluster <provider>', 'local or kubeconfig', undefined)
      .option('--kubeconfig <file>', "the cluster to test (implies --cluster kubeconfig)")
      .option('--nodes <n>', 'nodes of the offline cluster (the scheduling and DaemonSet specs need two schedulable ones)')
      .option('--parallel <n>', 'ginkgo processes for the parallel specs (default two per core, at most 4)')
      .option('--areas <names>', 'areas (sig-apps,sig-node,…) or a subset of images/e2e/conformance.yaml (chapter)')
      .option('--focus <regex>', 'any specs whose name matches')
      .option('--report <dir>', 'the reports folder')
      .action(action(runConformance)),
    'kube-scenarios conformance --areas sig-apps --nodes 2',
  )
  example(
    program
      .command('bench')
      .description('Benchmarks of this repository (cluster start, node join, watch fan-out, the chapter against its controller floor): a table, a JSON and bench.html under <report>/bench.')
      .option('--repetitions <n>', 'repetitions of each timed start', '3')
      .option('--no-chapter', 'leave out the chapter run')
      .action(action(runBench)),
    'npm run bench -- --repetitions 5',
  )
  example(
    program
      .command('init')
      .argument('[dir]', 'where to write the project', '.')
      .description('Scaffolds a project: vitest.config.mts with the kube-scenarios preset, an example scenario and fixture, an example app of your own (app/, npm run build:app) and the test scripts. Existing files are kept (named) unless --force.')
      .option('--force', 'overwrite existing files')
      .action(action(scaffold)),
    'npx kube-scenarios init && npm run build:app && npm test',
  )
  example(
    program
      .command('up')
      .description('Starts a cluster and holds it until Ctrl-C or `down`: writes its kubeconfig (0600), prints `export KUBECONFIG=…`, its NodePort and Ingress URLs and how to run scenarios against it.')
      .option('--cluster <provider>', 'local, k3s or auto', 'auto')
      .option('--nodes <n>', 'nodes to start with')
      .option('--kubeconfig-out <file>', 'where to write its kubeconfig')
      .action(action(holdUp)),
    'kube-scenarios up --nodes 3',
  )
  example(
    program
      .command('down')
      .description('Stops a held cluster (the only one, or --run’s) and removes everything it created.')
      .option('--run <id>', 'the held run')
      .action(action(holdDown)),
    'kube-scenarios down',
  )
  example(
    program
      .command('load')
      .argument('<image...>', "images of this machine's Docker")
      .description('Puts images of this machine’s Docker into every node of a held cluster (and nodes it adds later); prints size, node and seconds per image.')
      .option('--run <id>', 'the held run (default: KUBECONFIG’s, else the only one held)')
      .action(action(loadIntoHeld)),
    'docker build -t myapp:dev . && kube-scenarios load myapp:dev',
  )
  example(
    program
      .command('collect')
      .description('What a failed test collects, on demand, from a held cluster: per kube-scenarios namespace its objects as YAML, events, container logs (and previous ones), the Nodes, the cluster’s Warning events and, on the offline cluster, the nodes’ component logs, into <report>/<run-id>-collect-<time>/forensics/.')
      .option('--run <id>', 'the held run (default: the only one held)')
      .action(action(collectFromHeld)),
    'kube-scenarios collect --run 20261205-ab12cd',
  )
  example(
    program
      .command('dev')
      .argument('[selection...]', 'recipes or scenario files; default: every scenario')
      .description('The inner loop: runs the scenarios on the held cluster and again on every save of a scenario, fixture or module they import (vitest watch mode); namespaces are deleted without waiting.')
      .option('--run <id>', 'the held run')
      .action(action(devLoop)),
    'kube-scenarios dev scenarios/example.test.ts',
  )
  example(
    program
      .command('kubectl')
      .argument('[args...]', "kubectl's own arguments")
      .description('kubectl (the one the offline build compiled, else yours) against KUBECONFIG, else the held cluster. Options after the first argument go to kubectl.')
      .option('--run <id>', 'the held run')
      .passThroughOptions()
      .allowUnknownOption()
      .action(action(runKubectl)),
    'kube-scenarios kubectl get pods -A',
  )
  example(
    program
      .command('report')
      .argument('[dir...]', 'a report folder (default: <report>/latest); with --merge, every shard’s folder')
      .description('Re-renders a report folder with the current history and prints its path; --check renders it in headless Chromium and checks what it shows; --merge folds the shards of a run into one report, JUnit and history record (exits 1 if a test failed, or with KUBE_SCENARIOS_STRICT=1 is undecided).')
      .option('--check', 'render it in headless Chromium and check it')
      .option('--screenshot <file>', 'keep the rendered PNG')
      .option('--merge', 'fold shard folders into one run')
      .action(action(report)),
    'kube-scenarios report --check',
    'kube-scenarios report --merge shards/*',
  )
  example(
    program
      .command('clean')
      .description('Removes the containers and networks labelled kube-scenarios.dev/run and the managed namespaces on the kubeconfig’s cluster (of every run, unless --run names one).')
      .option('--run <id>', 'only this run’s')
      .option('--dry-run', 'say what would go')
      .option('--kubeconfig <file>', 'the cluster whose namespaces to sweep')
      .action(action(sweep)),
    'kube-scenarios clean --dry-run',
  )
  example(
    program
      .command('completion')
      .argument('<shell>', 'bash, zsh or fish')
      .description('Prints a completion script for the shell.')
      .action(action(async (shell: string) => {
        process.stdout.write(completionScript(program, shell))
        return 0
      })),
    'source <(kube-scenarios completion bash)',
    'kube-scenarios completion fish > ~/.config/fish/completions/kube-scenarios.fish',
  )
  return program
}

/** Every setting's flag, with its description and default (lib/config/settings.ts: one definition). */
function withSettingFlags(command: Command): Command {
  for (const setting of settingFlags()) command.addOption(new Option(setting.switch ? `--${setting.flag}` : `--${setting.flag} <value>`, `${setting.doc.replaceAll('`', '')} (default ${setting.defaultText.replaceAll('`', '')}; variable ${setting.env})`))
  return command
}

/** Runs one command line; returns the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let code = 0
  const program = buildProgram((c) => void (code = c))
  if (argv.length === 0) {
    program.outputHelp({ error: true })
    return 2
  }
  try {
    await program.parseAsync(argv, { from: 'user' })
    return code
  } catch (error) {
    // Help and version end here with code 0; a usage error has already been printed with its suggestion.
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2
    process.stderr.write(`kube-scenarios ${argv[0]}: ${(error as Error).message}\n(kube-scenarios ${argv[0]} --help shows its usage)\n`)
    return 1
  }
}

type Options = Record<string, string | boolean | undefined>

const camelCase = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())

/** The setting flags commander parsed, keyed by flag as parseRunSettings reads them. */
function settingValues(options: Options): Options {
  return Object.fromEntries(settingFlags().map((s) => [s.flag, options[camelCase(s.flag)]]))
}

/** Checks the run's settings (flags over environment) and plans the selection; the settings go to vitest's workers through the environment. */
function prepareRun(options: Options, selection: string[]): { plan: RunPlan; settings: RunSettings } {
  const settings = parseRunSettings(settingValues(options))
  const plan = planRun(selection, path.join(PROJECT, 'scenarios'))
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

async function run(selection: string[], options: Options): Promise<number> {
  const { plan, settings } = prepareRun(options, selection)
  return runPlan(plan, settings)
}

async function soakRuns(selection: string[], options: Options): Promise<number> {
  const runs = parseCount('--runs', String(options.runs))
  if (options.shard) throw new Error('soak runs whole selections; it does not take --shard')
  if (options.reuseCluster && options.cluster === 'kubeconfig') throw new Error('--reuse-cluster starts a cluster to share; with --cluster kubeconfig every run already borrows yours')
  const { plan, settings } = prepareRun(options, selection)
  const { soak, formatSoakTable } = await import('./soak.js')
  const { rows, failedRuns } = await soak({
    runs,
    reuseCluster: Boolean(options.reuseCluster),
    settings,
    historyFile: settings.history,
    runOnce: () => runPlan(plan, runSettings()),
  })
  process.stdout.write(`\n${formatSoakTable(rows, runs)}\n${failedRuns} of ${runs} runs failed\n`)
  return failedRuns === 0 ? 0 : 1
}

async function runConformance(options: { cluster?: string; kubeconfig?: string; nodes?: string; parallel?: string; areas?: string; focus?: string; report?: string }): Promise<number> {
  const cluster = options.cluster ?? (options.kubeconfig ? 'kubeconfig' : 'local')
  if (cluster !== 'local' && cluster !== 'kubeconfig') throw new Error(`--cluster must be local or kubeconfig (the conformance run loads its test images into the nodes), not "${cluster}"`)
  const { conformance, DEFAULT_CONFORMANCE_NODES } = await import('./conformance.js')
  const settings = parseRunSettings({ cluster, nodes: options.nodes ?? String(DEFAULT_CONFORMANCE_NODES), kubeconfig: options.kubeconfig, report: options.report })
  return conformance({
    settings,
    parallel: options.parallel === undefined ? undefined : parseCount('--parallel', options.parallel),
    areas: options.areas?.split(',').map((a) => a.trim()).filter(Boolean),
    focus: options.focus,
  })
}

/** `npm run bench` in this repository (bench/ is not part of the package). */
async function runBench(options: { repetitions: string; chapter: boolean }): Promise<number> {
  const { main: bench } = await import('../bench/bench.js')
  return bench({ repetitions: parseCount('--repetitions', options.repetitions), chapter: options.chapter })
}

async function scaffold(dir: string, options: { force?: boolean }): Promise<number> {
  const target = path.resolve(dir)
  const { init } = await import('./init.js')
  process.stdout.write(`kube-scenarios: writing a project in ${target}\n`)
  init(target, { force: options.force })
  return 0
}

async function holdUp(options: { cluster: string; nodes?: string; kubeconfigOut?: string }): Promise<number> {
  const { cluster } = options
  if (!['k3s', 'local', 'auto'].includes(cluster)) throw new Error(`--cluster must be local, k3s or auto (up starts a cluster), not "${cluster}"`)
  // A cluster of its own: a kubeconfig in the environment is not one to hold.
  const settings = { ...parseRunSettings({ cluster, nodes: options.nodes }), kubeconfig: undefined }
  const { up } = await import('./hold.js')
  await up({ settings, kubeconfigOut: options.kubeconfigOut })
  return 0
}

async function holdDown(options: { run?: string }): Promise<number> {
  const { down } = await import('./hold.js')
  await down(options.run)
  return 0
}

async function loadIntoHeld(images: string[], options: { run?: string }): Promise<number> {
  const { load } = await import('./hold.js')
  await load(images, options.run)
  return 0
}

async function devLoop(selection: string[], options: { run?: string }): Promise<number> {
  const { heldKubeconfig } = await import('./hold.js')
  const kubeconfig = heldKubeconfig(options.run)
  const plan = planRun(selection, path.join(PROJECT, 'scenarios'))
  exportSettings({ ...parseRunSettings({ cluster: 'kubeconfig', kubeconfig }), dev: true })
  process.stdout.write(`kube-scenarios dev: on the held cluster of ${kubeconfig}; saving a scenario or fixture runs it again (q quits)\n`)
  // Fixtures are read, not imported: vitest's module graph does not see them, so a change to one runs the files again.
  const forceRerunTriggers = ['**/package.json/**', '**/vitest.config.*/**', path.join(PROJECT, 'fixtures', '**')]
  const vitest = await startVitest(plan.files, { root: PROJECT, watch: true, project: 'scenarios', testNamePattern: plan.testNamePattern, forceRerunTriggers })
  await new Promise<void>((resolve) => vitest.onClose(() => resolve()))
  return 0
}

async function collectFromHeld(options: { run?: string }): Promise<number> {
  const { collect } = await import('./hold.js')
  process.stdout.write(`${await collect(options.run)}\n`)
  return 0
}

async function runKubectl(args: string[], options: { run?: string }): Promise<number> {
  const { kubectl } = await import('./hold.js')
  return kubectl(args, options.run)
}

function parseCount(flag: string, value: string): number {
  if (!/^[1-9]\d*$/.test(value)) throw new Error(`${flag} must be a positive whole number, not "${value}"`)
  return Number(value)
}

async function report(positionals: string[], values: { check?: boolean; screenshot?: string; merge?: boolean }): Promise<number> {
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

async function sweep(options: { run?: string; dryRun?: boolean; kubeconfig?: string }): Promise<number> {
  // Loaded on demand: Docker's and Kubernetes' clients are heavy for the other commands.
  const { clean } = await import('./clean.js')
  await clean({ runId: options.run, dryRun: options.dryRun, kubeconfig: options.kubeconfig && path.resolve(options.kubeconfig) })
  return 0
}

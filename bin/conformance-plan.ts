// What a conformance run selects and how ginkgo is told: the selection file (areas, subsets and
// the skip list, images/e2e/conformance.yaml), ginkgo's command line, its parallelism. One ginkgo
// run: the parallel specs on every process, then the [Serial] ones (ginkgo's Serial decorator,
// which the framework gives them) alone on the first. Pure: the command (conformance.ts) runs it.
import { readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import path from 'node:path'
import YAML from 'yaml'
import { IMAGES_DIR } from '../lib/config/package-root.js'
import { CONFORMANCE_LABEL, focusOf, skipOf, type ConformanceSelection } from '../lib/report/conformance.js'

/** The areas and the skip file. */
export const SELECTION_FILE = path.join(IMAGES_DIR, 'e2e', 'conformance.yaml')
/** ginkgo's limit for the whole suite (its own default, 1 h, is too short on 2 cores). */
export const SUITE_TIMEOUT = '3h'

/**
 * ginkgo processes for this machine: two per core, at most four. Most conformance specs wait on
 * controllers and pods; more processes than that starve a 2-core cluster and its timing-sensitive specs.
 */
export function defaultParallel(cores = availableParallelism()): number {
  return Math.max(1, Math.min(4, 2 * cores))
}

export interface SelectionChoice {
  /** Area names of the selection file, or one of its subsets' names. */
  areas?: string[]
  /** A regular expression over spec names replacing the areas' focus. */
  focus?: string
}

interface SelectionFile {
  areas?: ConformanceSelection['areas']
  subsets?: Record<string, ConformanceSelection['areas']>
  skip?: ConformanceSelection['skip'] | null
}

/** The selection file's areas (all of them, the chosen ones or a subset's) and skips, with `focus` replacing the areas' own. */
export function readSelection(file = SELECTION_FILE, choice: SelectionChoice = {}): ConformanceSelection {
  const data = YAML.parse(readFileSync(file, 'utf8')) as SelectionFile
  const all = data.areas ?? []
  const skip = data.skip ?? []
  if (all.length === 0) throw new Error(`${file} names no areas`)
  for (const entry of skip) {
    if (!entry?.test || !entry.reason?.trim()) throw new Error(`${file}: every skip names its test and the reason it cannot run here (${JSON.stringify(entry)})`)
  }
  const areas = choice.areas?.length ? chosenAreas(file, data, choice.areas) : all
  return { areas, skip, ...(choice.focus ? { focus: choice.focus } : {}) }
}

function chosenAreas(file: string, data: SelectionFile, names: string[]): ConformanceSelection['areas'] {
  const subsets = data.subsets ?? {}
  const [only] = names
  if (names.length === 1 && only && subsets[only]) return subsets[only]
  return names.map((name) => {
    const area = data.areas?.find((a) => a.name === name)
    if (!area) throw new Error(`--areas: ${file} has no area or subset "${name}" (areas: ${(data.areas ?? []).map((a) => a.name).join(', ')}; subsets: ${Object.keys(subsets).join(', ') || 'none'})`)
    return area
  })
}

export interface GinkgoRun {
  e2eTest: string
  selection: ConformanceSelection
  /** Parallel ginkgo processes. */
  parallel: number
  kubeconfig: string
  /** The kubectl the sig-cli specs run on this machine. */
  kubectl: string
  /** Where the framework writes its JUnit (junit_01.xml) and other output. */
  outputDir: string
}

/** ginkgo's JSON report of the run (each spec's start and end: the serial phase's time). */
export const GINKGO_JSON_REPORT = 'ginkgo-report.json'

/** ginkgo's command line for the suite: the selection, the parallelism, the framework's flags. */
export function ginkgoArgs(run: GinkgoRun): string[] {
  const skip = skipOf(run.selection)
  return [
    'run',
    `--procs=${run.parallel}`,
    `--timeout=${SUITE_TIMEOUT}`,
    `--label-filter=${CONFORMANCE_LABEL}`,
    `--focus=${focusOf(run.selection)}`,
    ...(skip ? [`--skip=${skip}`] : []),
    // The specs outside the selection would each print an "S".
    '--silence-skips',
    // e2e.log as a certified run's: every spec with its steps, no colour codes.
    '-v',
    '--no-color',
    `--json-report=${GINKGO_JSON_REPORT}`,
    run.e2eTest,
    '--',
    `--kubeconfig=${run.kubeconfig}`,
    // The framework's provider for a cluster it knows nothing about (no cloud, no SSH).
    '--provider=skeleton',
    `--kubectl-path=${run.kubectl}`,
    `--report-dir=${run.outputDir}`,
    `--e2e-output-dir=${run.outputDir}`,
  ]
}

/** ginkgo's line ending a spec's report (-v): `• [12.345 seconds]`, `• [FAILED] [3.2 seconds]`, `S [SKIPPED] [0.1 seconds]`. */
const SPEC_END = /^([•S+]) (?:\[([A-Z][A-Z ]*)\] )?\[[\d.]+ seconds\]$/
const SUITE_LINES = [/^Will run \d+ of \d+ specs/, /^Ran \d+ of \d+ Specs in/, /^(SUCCESS|FAIL)! /]

/**
 * What the terminal shows of ginkgo's verbose output while the suite runs (the whole of it goes
 * to e2e.log): the suite's header and summary lines, each failed spec as it ends, and a count on
 * demand (`report`, once a minute).
 */
export class SuiteProgress {
  private willRun?: number
  private done = 0
  private failed = 0
  /** A failed spec's state, until the next line names the spec. */
  private failedState?: string
  private readonly startedAt: number

  constructor(
    private readonly log: (line: string) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.startedAt = now()
  }

  line(raw: string): void {
    const line = raw.trimEnd()
    if (this.failedState && line.trim()) {
      this.log(`conformance: ${this.failedState}: ${line.trim()}`)
      this.failedState = undefined
      return
    }
    if (SUITE_LINES.some((pattern) => pattern.test(line))) {
      const willRun = /^Will run (\d+) of/.exec(line)
      if (willRun) this.willRun = Number(willRun[1])
      this.log(`conformance: ${line}`)
      return
    }
    const end = SPEC_END.exec(line)
    if (!end) return
    this.done++
    const state = end[2]
    if (state && state !== 'SKIPPED') {
      this.failed++
      this.failedState = state
    }
  }

  report(): void {
    const minutes = Math.round((this.now() - this.startedAt) / 60_000)
    this.log(`conformance: ${this.done}${this.willRun === undefined ? '' : ` of ${this.willRun}`} specs done, ${this.failed} failed, ${minutes} min`)
  }
}

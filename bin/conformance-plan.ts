// What a conformance run selects and how ginkgo is told: the selection file (areas and the skip
// file, images/e2e/conformance.yaml), ginkgo's command line, its parallelism. Pure: the command
// (conformance.ts) does the running.
import { readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import path from 'node:path'
import YAML from 'yaml'
import { IMAGES_DIR } from '../lib/package-root.js'
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

/** The selection file's areas and skips, with `focus` replacing the areas' own. */
export function readSelection(file = SELECTION_FILE, focus?: string): ConformanceSelection {
  const data = YAML.parse(readFileSync(file, 'utf8')) as { areas?: ConformanceSelection['areas']; skip?: ConformanceSelection['skip'] | null }
  const areas = data.areas ?? []
  const skip = data.skip ?? []
  if (areas.length === 0) throw new Error(`${file} names no areas`)
  for (const entry of skip) {
    if (!entry?.test || !entry.reason?.trim()) throw new Error(`${file}: every skip names its test and the reason it cannot run here (${JSON.stringify(entry)})`)
  }
  return { areas, skip, ...(focus ? { focus } : {}) }
}

export interface GinkgoRun {
  e2eTest: string
  selection: ConformanceSelection
  /** Parallel ginkgo processes. */
  parallel: number
  kubeconfig: string
  /** Where the framework writes its JUnit (junit_01.xml) and other output. */
  outputDir: string
  color: boolean
}

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
    ...(run.color ? [] : ['--no-color']),
    run.e2eTest,
    '--',
    `--kubeconfig=${run.kubeconfig}`,
    // The framework's provider for a cluster it knows nothing about (no cloud, no SSH).
    '--provider=skeleton',
    `--report-dir=${run.outputDir}`,
    `--e2e-output-dir=${run.outputDir}`,
  ]
}

// An upstream conformance run as the report shows it (kube-scenarios conformance): ginkgo's JUnit
// read back, each spec the selection names sorted into its area and passed, failed (with ginkgo's
// failure text) or skipped with a reason: the skip file's, the suite's own Skip message, or that
// the run ended before it. None is left out silently.
import type { TestStatus } from './status.js'

/** The label upstream gives conformance specs; it is also part of their names. */
export const CONFORMANCE_LABEL = 'Conformance'

export interface ConformanceArea {
  name: string
  /** A regular expression over spec names (RE2 for ginkgo, the same meaning in JavaScript). */
  focus: string
}

export interface ConformanceSkip {
  /** The spec's full name. */
  test: string
  reason: string
}

/** What a conformance run selects: the specs labelled Conformance of its areas, minus its skips. */
export interface ConformanceSelection {
  areas: ConformanceArea[]
  /** A focus that replaced the areas' (kube-scenarios conformance --focus); the areas still group the specs. */
  focus?: string
  skip: ConformanceSkip[]
}

export interface ConformanceReport {
  /** The release the e2e suite is from (the cluster's). */
  suiteVersion: string
  selection: ConformanceSelection
  /** Parallel ginkgo processes. */
  parallel: number
  durationMs: number
  /** The [Serial] specs, run alone after the parallel ones (undefined when ginkgo wrote no JSON report). */
  serial?: SerialPhase
  specs: ConformanceSpec[]
  /** What a certified run hands in, relative to the report folder: ginkgo's JUnit, the suite's log (e2e.log), the product summary. */
  files: { junit: string; log: string; product?: string }
}

/** The serial phase of a run: how many [Serial] specs ran, from the first one's start to the last one's end. */
export interface SerialPhase {
  specs: number
  durationMs: number
}

export interface ConformanceSpec {
  /** Ginkgo's full spec text, e.g. "[sig-apps] Job should delete a job [Conformance]"; keys the history. */
  name: string
  /** The selection area it belongs to ("suite" for a failed suite-level node). */
  area: string
  status: TestStatus
  durationMs: number
  /** Failed: ginkgo's failure text (message, location, stack). */
  failure?: string
  /** Failed: the end of the spec's log (its steps and the framework's dumps), at most LOG_TAIL_LINES lines. */
  log?: string
  /** Skipped: why. */
  skipReason?: string
}

/** One <testcase> of ginkgo's JUnit. */
export interface JunitCase {
  /** Ginkgo's node type: It for specs, SynchronizedBeforeSuite and the like for suite nodes. */
  leaf: string
  name: string
  /** Ginkgo's spec state: passed, failed, skipped, pending, timedout, panicked, interrupted, aborted. */
  state: string
  durationMs: number
  /** The <failure> or <error> text. */
  failure?: string
  /** The <skipped> message: "skipped", "skipped - <why>" (the spec skipped itself), "pending". */
  skipped?: string
  /** The <system-err> text: ginkgo's timeline of the spec (kept for failed specs only). */
  log?: string
}

export const SUITE_AREA = 'suite'
/** Lines of a failed spec's log kept in the report (the whole log is in the run's log file). */
export const LOG_TAIL_LINES = 200
export const NOT_REACHED = 'not run: the suite ended before it (see the suite failure or the log)'
const FAILED_STATES = new Set(['failed', 'timedout', 'panicked', 'interrupted', 'aborted'])
const SKIPPED_ITSELF = 'skipped - '

/** The test cases of a JUnit file as ginkgo writes it (reporters.GenerateJUnitReportWithConfig). */
export function parseJunitCases(xml: string): JunitCase[] {
  return [...xml.matchAll(/<testcase\b([^>]*?)(?:\/>|>([\s\S]*?)<\/testcase>)/g)].map(([, attributeText = '', body = '']) => {
    const attributes = attributesOf(attributeText)
    const [, leaf = '', name = attributes.name ?? ''] = /^\[(\w+)\]\s*([\s\S]*)$/.exec(attributes.name ?? '') ?? []
    const failure = /<(failure|error)\b[^>]*?(?:\/>|>([\s\S]*?)<\/\1>)/.exec(body)
    const skipped = /<skipped\b([^>]*?)\/?>/.exec(body)
    const log = /<system-err>([\s\S]*?)<\/system-err>/.exec(body)?.[1]
    return {
      leaf,
      name,
      state: attributes.status ?? (failure ? 'failed' : skipped ? 'skipped' : 'passed'),
      durationMs: Math.round(Number(attributes.time ?? 0) * 1000),
      ...(failure ? { failure: decodeXml(failure[2] ?? attributesOf(failure[0]).message ?? '').trim() } : {}),
      ...(skipped ? { skipped: attributesOf(skipped[1] ?? '').message ?? 'skipped' } : {}),
      ...(log ? { log: decodeXml(log) } : {}),
    }
  })
}

/** The selection's specs among ginkgo's test cases, in area order, then by name; failed suite nodes first. */
export function conformanceSpecs(cases: readonly JunitCase[], selection: ConformanceSelection): ConformanceSpec[] {
  const areas = selection.areas.map((area) => ({ name: area.name, pattern: new RegExp(area.focus) }))
  const focus = selectionPattern(selection)
  const areaOf = (name: string) => areas.find((a) => a.pattern.test(name))?.name ?? /^\[(sig-[\w-]+)\]/.exec(name)?.[1] ?? 'other'
  const skips = new Map(selection.skip.map((s) => [s.test, s.reason]))
  const specs: ConformanceSpec[] = []
  for (const c of cases) {
    if (c.leaf !== 'It') {
      if (FAILED_STATES.has(c.state)) specs.push({ name: `[${c.leaf}] ${c.name}`.trim(), area: SUITE_AREA, status: 'failed', durationMs: c.durationMs, failure: c.failure ?? c.state })
      continue
    }
    if (!c.name.includes(`[${CONFORMANCE_LABEL}]`)) continue
    const selected = focus?.test(c.name) ?? false
    const base = { name: c.name, area: areaOf(c.name), durationMs: c.durationMs }
    if (c.state === 'passed') specs.push({ ...base, status: 'passed' })
    else if (FAILED_STATES.has(c.state)) specs.push({ ...base, status: 'failed', failure: c.failure ?? c.state, ...(c.log ? { log: tail(c.log, LOG_TAIL_LINES) } : {}) })
    else if (c.skipped?.startsWith(SKIPPED_ITSELF)) specs.push({ ...base, status: 'skipped', skipReason: c.skipped.slice(SKIPPED_ITSELF.length) })
    else if (selected && skips.has(c.name)) specs.push({ ...base, status: 'skipped', skipReason: skips.get(c.name)! })
    else if (selected) specs.push({ ...base, status: 'skipped', skipReason: NOT_REACHED })
  }
  // Suite failures first, then the areas in the selection's order, other areas last.
  const order = (spec: ConformanceSpec) => (spec.area === SUITE_AREA ? -1 : areas.some((a) => a.name === spec.area) ? areas.findIndex((a) => a.name === spec.area) : areas.length)
  return specs.sort((a, b) => order(a) - order(b) || a.area.localeCompare(b.area) || a.name.localeCompare(b.name))
}

/** ginkgo's --focus for the selection: its own focus, else any of its areas'. */
export function focusOf(selection: ConformanceSelection): string {
  return selection.focus ?? selection.areas.map((a) => a.focus).join('|')
}

/** ginkgo's --skip for the selection: its skip entries as exact names; undefined when there are none. */
export function skipOf(selection: ConformanceSelection): string | undefined {
  return selection.skip.length ? selection.skip.map((s) => escapeRegExp(s.test)).join('|') : undefined
}

/** The focus as a JavaScript expression; undefined for RE2 that JavaScript reads otherwise (then only specs that ran count). */
function selectionPattern(selection: ConformanceSelection): RegExp | undefined {
  try {
    return new RegExp(focusOf(selection))
  } catch {
    return undefined
  }
}

/** Escaped for RE2 and JavaScript alike. */
export function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')
}

function tail(text: string, lines: number): string {
  const all = text.trimEnd().split('\n')
  return all.length <= lines ? all.join('\n') : [`… ${all.length - lines} earlier lines in the run's log`, ...all.slice(-lines)].join('\n')
}

function attributesOf(text: string): Record<string, string> {
  return Object.fromEntries([...text.matchAll(/([\w:.-]+)="([^"]*)"/g)].map(([, key, value]) => [key!, decodeXml(value!)]))
}

const XML_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" }

function decodeXml(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|\w+);/g, (whole, entity: string) => {
    if (entity.startsWith('#x')) return String.fromCodePoint(parseInt(entity.slice(2), 16))
    if (entity.startsWith('#')) return String.fromCodePoint(Number(entity.slice(1)))
    return XML_ENTITIES[entity] ?? whole
  })
}

/** One spec of ginkgo's JSON report (--json-report), the fields read here. */
interface GinkgoSpecReport {
  LeafNodeType?: string
  State?: string
  IsSerial?: boolean
  LeafNodeLabels?: string[] | null
  ContainerHierarchyLabels?: (string[] | null)[] | null
  StartTime?: string
  EndTime?: string
}

/** The framework labels a [Serial] spec (or its container) Serial; ginkgo's JSON leaves IsSerial out. */
function isSerial(spec: GinkgoSpecReport): boolean {
  return Boolean(spec.IsSerial) || [spec.LeafNodeLabels ?? [], ...(spec.ContainerHierarchyLabels ?? []).map((l) => l ?? [])].some((labels) => labels.includes('Serial'))
}

/** The serial phase from ginkgo's JSON report; undefined when no [Serial] spec ran. */
export function serialPhaseOf(json: string): SerialPhase | undefined {
  const suites = JSON.parse(json) as { SpecReports?: GinkgoSpecReport[] | null }[]
  const ran = suites
    .flatMap((suite) => suite.SpecReports ?? [])
    .filter((spec) => spec.LeafNodeType === 'It' && isSerial(spec) && spec.State !== 'skipped' && spec.State !== 'pending')
  if (ran.length === 0) return undefined
  const starts = ran.map((spec) => Date.parse(spec.StartTime ?? ''))
  const ends = ran.map((spec) => Date.parse(spec.EndTime ?? ''))
  return { specs: ran.length, durationMs: Math.max(...ends) - Math.min(...starts) }
}

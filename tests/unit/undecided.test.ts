// A test that passed with a claim it could not decide (s.timeline.undecided) is "undecided",
// never a plain pass: a real vitest run of fixtures recording such claims through the harness's
// own reporters shows it in the summary line, the HTML report, the JUnit and the history; the
// exit code stays 0, and KUBE_SCENARIOS_STRICT=1 (--strict) makes it 1.
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { summaryLine } from '../../lib/report/model.js'

const REPOSITORY = path.resolve(import.meta.dirname, '../..')
const work = mkdtempSync(path.join(tmpdir(), 'kube-scenarios-undecided-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

/** What CI parses from the last line. */
const CI_LINE = /^\d+ passed.*, \d+ failed$/

mkdirSync(path.join(work, 'scenarios'))
writeFileSync(
  path.join(work, 'scenarios', 'undecided.test.ts'),
  [
    "import { existsSync, writeFileSync } from 'node:fs'",
    "import { expect, test } from 'vitest'",
    // What useScenario's afterEach hands the reporters: the test's timeline in its meta.
    'const undecided = (claim: string, why: string) => ({ at: Date.now(), type: "undecided" as const, claim, why })',
    `const marker = ${JSON.stringify(path.join(work, 'attempted'))}`,
    "test('U1 a claim the watch gap leaves open', ({ task }) => {",
    "  task.meta.timeline = [undecided('no pod was ready twice', 'the watch re-listed after 812 ms: changes in between are unknown')]",
    '})',
    "test('U2 flaky, then undecided', ({ task }) => {",
    '  const first = !existsSync(marker)',
    "  writeFileSync(marker, 'x')",
    "  expect(first, 'the first attempt fails on purpose').toBe(false)",
    "  task.meta.timeline = [undecided('the newest pod went first', 'two pods share the ranking')]",
    '})',
    "test('U3 a plain pass', ({ task }) => {",
    "  task.meta.timeline = [{ at: Date.now(), type: 'note', text: 'nothing undecided' }]",
    '})',
    "test('U4 fails, an undecided claim notwithstanding', ({ task }) => {",
    "  task.meta.timeline = [undecided('a claim', 'a reason')]",
    "  expect(1, 'fails on purpose').toBe(2)",
    '})',
    '',
  ].join('\n'),
)
const reporter = (name: string) => path.join(REPOSITORY, 'lib', 'report', `${name}.ts`)
writeFileSync(
  path.join(work, 'vitest.config.mts'),
  `export default { test: { reporters: [${JSON.stringify(reporter('html-reporter'))}, ${JSON.stringify(reporter('summary-line'))}], projects: [{ test: { name: 'scenarios', include: ['scenarios/*.test.ts'], retry: 1 } }] } }\n`,
)

/** One vitest run of the fixtures (`args`: e.g. a name filter) into a reports folder of its own. */
function runFixtures(args: string[] = [], env: Record<string, string> = {}) {
  rmSync(path.join(work, 'attempted'), { force: true })
  const reports = mkdtempSync(path.join(work, 'reports-'))
  const run = spawnSync(process.execPath, [path.join(REPOSITORY, 'node_modules/vitest/vitest.mjs'), 'run', '--root', work, ...args], {
    cwd: work,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, KUBE_SCENARIOS_REPORT_DIR: reports, KUBE_SCENARIOS_HISTORY: '', KUBE_SCENARIOS_STRICT: '', CI: 'true', ...env },
  })
  const lines = run.stdout.trim().split('\n')
  return { reports, status: run.status, output: `${run.stdout}\n${run.stderr}`, last: lines.at(-1), lines }
}

describe('undecided is its own verdict', () => {
  test('summary line, HTML pill and count, JUnit <skipped>, history and its dot; a failed test stays failed', () => {
    const run = runFixtures()
    const { reports } = run
    expect(run.last, run.output).toBe('3 passed (1 flaky, 2 undecided), 1 failed')
    expect(run.last).toMatch(CI_LINE)

    const folder = path.join(reports, readdirSync(reports).find((f) => /^\d{8}-/.test(f))!)
    const html = readFileSync(path.join(folder, 'index.html'), 'utf8')
    // The header: the passed count carries each mark's own pill and count.
    expect(html).toContain('<span class="pill flaky">1 flaky</span> <span class="pill undecided">2 undecided</span>')
    expect(html).toMatch(/<details class="test undecided"[^>]*open>\s*<summary><span class="pill undecided">undecided<\/span><span class="test-id">U1<\/span>/)
    expect(html).toMatch(/<summary><span class="pill undecided">undecided<\/span><span class="pill flaky">flaky<\/span><span class="test-id">U2<\/span>/)
    expect(html).toMatch(/<details class="test passed"[^>]*>\s*<summary><span class="pill passed">passed<\/span><span class="test-id">U3<\/span>/)
    expect(html).toMatch(/<details class="test failed"[^>]*>\s*<summary><span class="pill failed">failed<\/span><span class="test-id">U4<\/span>/)
    expect(html).toContain('<circle class="dot undecided"')

    const junit = readFileSync(path.join(folder, 'junit.xml'), 'utf8')
    const testcase = (id: string) => new RegExp(`<testcase [^>]*name="${id}[^"]*"[^>]*>([\\s\\S]*?)</testcase>`).exec(junit)?.[1] ?? ''
    expect(testcase('U1')).toContain('<skipped message="undecided: no pod was ready twice (the watch re-listed after 812 ms: changes in between are unknown)"/>')
    expect(testcase('U2')).toMatch(/<skipped message="undecided: the newest pod went first \(two pods share the ranking\)"\/>[\s\S]*<flakyFailure /)
    expect(testcase('U3')).not.toContain('<skipped')
    expect(testcase('U4')).not.toContain('<skipped')
    expect(junit).toMatch(/<testsuites [^>]*tests="4" failures="1" errors="0" skipped="2"/)

    const history = readFileSync(path.join(reports, 'history.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line))
    expect(history.at(-1).tests).toMatchObject({ U1: { status: 'passed', undecided: true }, U2: { status: 'passed', flaky: true, undecided: true }, U4: { status: 'failed' } })
    expect(history.at(-1).tests.U3.undecided).toBeUndefined()
    expect(history.at(-1).tests.U4.undecided).toBeUndefined()
  }, 90_000)

  test('an undecided test alone exits 0; KUBE_SCENARIOS_STRICT=1 exits 1 and says why, the summary line still last', () => {
    const only = ['-t', 'U1']
    const plain = runFixtures(only)
    expect(plain.last, plain.output).toBe('1 passed (1 undecided), 3 skipped, 0 failed')
    expect(plain.status, plain.output).toBe(0)
    const strict = runFixtures(only, { KUBE_SCENARIOS_STRICT: '1' })
    expect(strict.last, strict.output).toBe('1 passed (1 undecided), 3 skipped, 0 failed')
    expect(strict.lines).toContain('--strict: 1 undecided test(s) fail the run')
    expect(strict.status, strict.output).toBe(1)
  }, 90_000)

  test('the summary line keeps the form CI parses with either mark or both', () => {
    const counts = { passed: 5, failed: 1, skipped: 0 }
    expect(summaryLine(counts, { flaky: 0, undecided: 0 })).toBe('5 passed, 1 failed')
    expect(summaryLine(counts, { flaky: 0, undecided: 2 })).toBe('5 passed (2 undecided), 1 failed')
    expect(summaryLine(counts, { flaky: 1, undecided: 2 })).toBe('5 passed (1 flaky, 2 undecided), 1 failed')
    expect(summaryLine({ ...counts, skipped: 2 }, { flaky: 0, undecided: 1 })).toBe('5 passed (1 undecided), 2 skipped, 1 failed')
    for (const marks of [{ flaky: 0, undecided: 2 }, { flaky: 1, undecided: 0 }, { flaky: 1, undecided: 1 }]) {
      expect(summaryLine(counts, marks)).toMatch(CI_LINE)
      expect(summaryLine({ ...counts, skipped: 3 }, marks)).toMatch(CI_LINE)
    }
  })
})

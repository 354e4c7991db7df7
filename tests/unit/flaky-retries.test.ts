// A test that passes only on a retry is flaky, never a plain pass: a real vitest run of a
// deliberately flaky fixture through the harness's own reporters (retry: 2, as kubeScenarios({
// retry }) sets it) shows it in the summary line, the HTML report, the JUnit and the history.
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, expect, test } from 'vitest'

const REPOSITORY = path.resolve(import.meta.dirname, '../..')
const work = mkdtempSync(path.join(tmpdir(), 'kube-scenarios-flaky-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

test('a pass on the second attempt reads "flaky" in the summary line, HTML, JUnit (flakyFailure) and history', () => {
  const reports = path.join(work, 'reports')
  mkdirSync(path.join(work, 'scenarios'))
  writeFileSync(
    path.join(work, 'scenarios', 'flaky.test.ts'),
    [
      "import { existsSync, writeFileSync } from 'node:fs'",
      "import { expect, test } from 'vitest'",
      `const marker = ${JSON.stringify(path.join(work, 'attempted'))}`,
      "test('F1 fails its first attempt, passes the next', () => {",
      '  const first = !existsSync(marker)',
      "  writeFileSync(marker, 'x')",
      "  expect(first, 'the first attempt fails on purpose').toBe(false)",
      '})',
      "test('F2 always passes', () => {})",
      '',
    ].join('\n'),
  )
  const reporter = (name: string) => path.join(REPOSITORY, 'lib', 'report', `${name}.ts`)
  writeFileSync(
    path.join(work, 'vitest.config.mts'),
    `export default { test: { reporters: [${JSON.stringify(reporter('html-reporter'))}, ${JSON.stringify(reporter('summary-line'))}], projects: [{ test: { name: 'scenarios', include: ['scenarios/*.test.ts'], retry: 2 } }] } }\n`,
  )
  const run = spawnSync(process.execPath, [path.join(REPOSITORY, 'node_modules/vitest/vitest.mjs'), 'run', '--root', work], {
    cwd: work,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, KUBE_SCENARIOS_REPORT_DIR: reports, KUBE_SCENARIOS_HISTORY: '', CI: 'true' },
  })
  const output = `${run.stdout}\n${run.stderr}`
  expect(run.stdout.trim().split('\n').at(-1), output).toBe('2 passed (1 flaky), 0 failed')

  const folder = path.join(reports, readdirSync(reports).find((f) => /^\d{8}-/.test(f))!)
  const html = readFileSync(path.join(folder, 'index.html'), 'utf8')
  expect(html).toContain('<span class="pill flaky">1 flaky</span>')
  expect(html).toMatch(/<details class="test flaky"[^>]*open>\s*<summary><span class="pill flaky">flaky<\/span><span class="test-id">F1<\/span>/)
  expect(html).toContain('passed on attempt 2 of 2: flaky, not a plain pass')
  expect(html).toContain('the first attempt fails on purpose')

  const junit = readFileSync(path.join(folder, 'junit.xml'), 'utf8')
  const f1 = /<testcase [^>]*name="F1[^"]*"[^>]*>([\s\S]*?)<\/testcase>/.exec(junit)?.[1] ?? ''
  expect(f1).toMatch(/<flakyFailure message="[^"]*the first attempt fails on purpose/)
  expect(f1).not.toMatch(/<failure /)
  expect(junit).toMatch(/<testsuites [^>]*failures="0"/)

  const history = readFileSync(path.join(reports, 'history.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line))
  expect(history.at(-1).tests).toMatchObject({ F1: { status: 'passed', flaky: true }, F2: { status: 'passed' } })
  expect(history.at(-1).tests.F2.flaky).toBeUndefined()
}, 90_000)

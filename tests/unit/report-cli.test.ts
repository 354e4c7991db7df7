import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { writeRunReport } from '../../lib/report/report-files.js'
import { planRun } from '../../bin/run-plan.js'
import { sampleRun } from './report-sample-run.js'

const work = mkdtempSync(path.join(tmpdir(), 'kube-scenarios-cli-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

const scenarios = path.join(work, 'scenarios')
mkdirSync(scenarios)
writeFileSync(path.join(scenarios, 'scaling.test.ts'), `describe('scaling', () => {\n  test('S1 two pods', async () => {})\n  test('S10 many pods', async () => {})\n})\n`)
writeFileSync(path.join(scenarios, 'jobs.test.ts'), `test("J2 completions 3 run one after another", async () => {})\ntest.skip('J3 parallel', async () => {})\n`)

describe('run plan', () => {
  test('no arguments run everything', () => {
    expect(planRun([], scenarios)).toEqual({ files: [] })
  })

  test('recipes name their files', () => {
    expect(planRun(['scaling', 'scenarios/jobs.test.ts'], scenarios)).toEqual({ files: ['scenarios/scaling.test.ts', 'scenarios/jobs.test.ts'] })
  })

  test('IDs narrow to the files that define them and match only their tests', () => {
    const plan = planRun(['S1', 'J3'], scenarios)
    expect(plan.files).toEqual(['scenarios/scaling.test.ts', 'scenarios/jobs.test.ts'])
    const matches = (name: string) => plan.testNamePattern!.test(name)
    expect(['scaling S1 two pods', 'J3 parallel'].filter(matches)).toHaveLength(2)
    expect(['scaling S10 many pods', 'J2 completions 3 run one after another', 'scaling uses S1'].filter(matches)).toEqual(['scaling uses S1'])
  })

  test('a recipe together with IDs keeps all of the recipe\'s tests', () => {
    const plan = planRun(['jobs', 'S10'], scenarios)
    expect(plan.files).toEqual(['scenarios/jobs.test.ts', 'scenarios/scaling.test.ts'])
    expect(['J2 completions', 'J3 parallel', 'scaling S10 many pods', 'scaling S1 two pods'].map((n) => plan.testNamePattern!.test(n))).toEqual([true, true, true, false])
  })

  test('unknown names fail, saying what exists', () => {
    expect(() => planRun(['scalin'], scenarios)).toThrow('unknown recipe "scalin": choose from jobs, scaling, or give test IDs such as S2')
    expect(() => planRun(['S3'], scenarios)).toThrow(/no scenario test is named by ID S3/)
  })
})

describe('the kube-scenarios command', { timeout: 60_000 }, () => {
  const env = { ...process.env, KUBE_SCENARIOS_HISTORY: '' }
  const cli = (...args: string[]) => spawnSync(process.execPath, ['bin/kube-scenarios.mjs', ...args], { encoding: 'utf8', timeout: 60_000, env })

  test('report re-renders a report folder and prints its path', () => {
    const reports = path.join(work, 'reports')
    const index = writeRunReport(sampleRun(), { reportsDir: reports, history: path.join(reports, 'history.jsonl') })
    const result = cli('report', path.dirname(index))
    expect({ status: result.status, stdout: result.stdout }).toEqual({ status: 0, stdout: `${index}\n` })
  })

  test('usage on help; exit 2 on an unknown command; exit 1 with the reason on bad arguments', () => {
    expect(cli('help')).toMatchObject({ status: 0, stdout: expect.stringContaining('run [options] [selection...]') })
    expect(cli('frobnicate')).toMatchObject({ status: 2, stderr: expect.stringContaining("unknown command 'frobnicate'") })
    expect(cli('run', '--cluster', 'minikube')).toMatchObject({ status: 1, stderr: expect.stringContaining('--cluster must be one of auto, k3s, local, kubeconfig, not "minikube"') })
  })

  test('collect names the held cluster it cannot find', () => {
    expect(cli('help')).toMatchObject({ stdout: expect.stringContaining('collect [options]') })
    expect(cli('collect', '--run', '20000101-nosuch')).toMatchObject({ status: 1, stderr: expect.stringContaining('no held cluster 20000101-nosuch; held here:') })
  })
})

describe('run plan for every ID of the chapter', () => {
  const chapter = path.join(import.meta.dirname, '..', '..', 'scenarios')
  const testNames = readdirSync(chapter)
    .filter((f) => f.endsWith('.test.ts'))
    .flatMap((f) => [...readFileSync(path.join(chapter, f), 'utf8').matchAll(/\btest(?:\.(?:concurrent|sequential))?(?:\.each\(.*?\)\))?\(\s*['"](([A-Z]\d+) [^'"]*)['"]/g)].map((m) => ({ file: `scenarios/${f}`, name: m[1]!, id: m[2]! })))
  const ids = [...new Set(testNames.map((t) => t.id))]

  test('the chapter names 35 IDs', () => {
    expect(ids).toHaveLength(35)
  })

  test.each(ids)('%s alone runs its tests and what they build on, in its file only', (id) => {
    const plan = planRun([id], chapter)
    const own = testNames.filter((t) => t.id === id)
    expect(plan.files).toEqual([own[0]!.file])
    const selected = testNames.filter((t) => t.file === own[0]!.file && plan.testNamePattern!.test(t.name)).map((t) => t.id)
    const prerequisites = { U2: ['U1'], U4: ['U1', 'U2'], U5: ['U1', 'U2', 'U4'] }[id] ?? []
    expect([...new Set(selected)]).toEqual([...prerequisites, id])
    expect(plan.notes ?? []).toEqual(prerequisites.length ? [`${id} builds on ${prerequisites.join(', ')}: ${prerequisites.length > 1 ? 'they run' : 'it runs'} first`] : [])
  })
})

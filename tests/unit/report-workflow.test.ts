// The nightly workflow is linted with actionlint (built once from its Go module and cached), and
// checked for what the nightly promises: the k3s matrix in shards, one merged report per minor as
// an artifact, kept history.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { parse } from 'yaml'
import { CACHE_DIR } from '../../images/lib/paths.mjs'
import { KUBERNETES_RELEASES } from '../../images/lib/kubernetes-releases.mjs'

const WORKFLOW = '.github/workflows/nightly.yml'
const ACTIONLINT_MODULE = 'github.com/rhysd/actionlint/cmd/actionlint@v1.7.12'
const TOOLS_DIR = path.join(CACHE_DIR, 'tools')
const BUILD_TIMEOUT_MS = 10 * 60_000

/** actionlint from the tools cache, built there with `go install` the first time. */
function actionlint(): string {
  const binary = path.join(TOOLS_DIR, 'actionlint')
  if (existsSync(binary)) return binary
  const go = ['/usr/local/go/bin/go'].find(existsSync) ?? 'go'
  execFileSync(go, ['install', ACTIONLINT_MODULE], { env: { ...process.env, GOBIN: TOOLS_DIR }, stdio: ['ignore', 'ignore', 'pipe'], timeout: BUILD_TIMEOUT_MS })
  return binary
}

interface Step {
  name?: string
  uses?: string
  run?: string
  if?: string
  with?: Record<string, string>
}

describe('nightly workflow', () => {
  const workflow = parse(readFileSync(WORKFLOW, 'utf8'))
  const { unit, scenarios, merge, conformance } = workflow.jobs
  const using = (steps: Step[], action: string) => steps.find((s) => s.uses?.startsWith(`${action}@`))

  test(
    'passes actionlint',
    () => {
      const lint = spawnSync(actionlint(), ['-no-color', WORKFLOW], { encoding: 'utf8' })
      expect({ status: lint.status, findings: lint.stdout + lint.stderr }).toEqual({ status: 0, findings: '' })
    },
    BUILD_TIMEOUT_MS + 60_000,
  )

  test('runs nightly and on demand: unit tests, then every scenario on k3s of every supported release in shards', () => {
    expect(workflow.on.schedule[0].cron).toMatch(/^\S+ \S+ \* \* \*$/)
    expect(workflow.on).toHaveProperty('workflow_dispatch')
    expect((unit.steps as Step[]).some((s) => s.run === 'npm run test:unit')).toBe(true)
    expect(scenarios.strategy['fail-fast']).toBe(false)
    // Newest first: the default release's jobs start first.
    const supported = [...KUBERNETES_RELEASES].reverse()
    expect(scenarios.strategy.matrix.kubernetes).toEqual(supported.map((r) => r.minor))
    expect(scenarios.strategy.matrix.include).toEqual(supported.map((r) => ({ kubernetes: r.minor, 'k3s-image': r.k3sImage })))
    expect(scenarios.strategy.matrix.shard).toEqual(Array.from({ length: Number(workflow.env.SHARDS) }, (_, i) => i + 1))
    expect(scenarios.env).toMatchObject({ KUBE_SCENARIOS_CLUSTER: 'k3s', KUBE_SCENARIOS_K3S_IMAGE: '${{ matrix.k3s-image }}' })
    expect((scenarios.steps as Step[]).some((s) => s.run?.includes('kube-scenarios run --shard "${{ matrix.shard }}/$SHARDS"'))).toBe(true)
    expect(using(scenarios.steps, 'actions/upload-artifact')?.if).toBe('always()')
  })

  test("merges each minor's shards into one report, uploads it whatever the outcome, and carries the history to the next night", () => {
    const steps: Step[] = merge.steps
    expect(merge.needs).toBe('scenarios')
    expect(merge.if).toBe('always()')
    expect(merge.strategy.matrix.kubernetes).toEqual(scenarios.strategy.matrix.kubernetes)
    const mergeStep = steps.findIndex((s) => s.run === 'npx kube-scenarios report --merge shards/*')
    expect(mergeStep).toBeGreaterThan(-1)
    expect(merge.env).toMatchObject({ KUBE_SCENARIOS_HISTORY: 'reports/history.jsonl' })
    const upload = using(steps, 'actions/upload-artifact')
    expect(upload?.if).toBe('always()')
    expect(upload?.with?.path).toContain('reports/latest/')
    const restore = using(steps, 'actions/cache/restore')
    const save = using(steps, 'actions/cache/save')
    expect(restore?.with?.path).toBe('reports/history.jsonl')
    expect(save?.with?.path).toBe('reports/history.jsonl')
    expect(save?.if).toMatch(/^always\(\)/)
    // Each night saves under a new key; the next restores the newest by prefix.
    expect(save?.with?.key).toBe(restore?.with?.key)
    expect(save?.with?.key?.startsWith(restore?.with?.['restore-keys'] ?? '-')).toBe(true)
    expect(steps.indexOf(restore!)).toBeLessThan(mergeStep)
  })

  test('runs the conformance specs on the offline cluster, its build cached by the content hash of images/, its report kept like the chapter\'s', () => {
    const steps: Step[] = conformance.steps
    const run = steps.findIndex((s) => s.run?.includes('npm run conformance'))
    expect(run).toBeGreaterThan(-1)
    expect(workflow.jobs.scenarios.env.KUBE_SCENARIOS_CLUSTER).toBe('k3s')
    expect(conformance.env).not.toHaveProperty('KUBE_SCENARIOS_CLUSTER')
    const [restoreBuild, restoreHistory] = steps.filter((s) => s.uses?.startsWith('actions/cache/restore@'))
    const [saveBuild, saveHistory] = steps.filter((s) => s.uses?.startsWith('actions/cache/save@'))
    expect(restoreBuild?.with?.key).toBe("kube-scenarios-offline-build-${{ hashFiles('images/**') }}")
    expect(saveBuild?.with?.key).toBe('${{ steps.build-cache.outputs.cache-primary-key }}')
    expect(saveBuild?.with?.path).toBe(restoreBuild?.with?.path)
    expect(restoreHistory?.with?.path).toBe('reports/history.jsonl')
    expect(saveHistory?.if).toMatch(/^always\(\)/)
    expect(steps.indexOf(restoreBuild!)).toBeLessThan(run)
    expect(using(steps, 'actions/upload-artifact')?.if).toBe('always()')
    // Not part of the chapter's test command.
    expect(readFileSync('.ci/run', 'utf8')).not.toContain('conformance')
    expect(JSON.parse(readFileSync('package.json', 'utf8')).scripts.test).not.toContain('conformance')
  })

  test("proves a user's project on every maintained Node line: packed, installed beside vitest 5 without forcing, init, build:app, npm test", () => {
    const job = workflow.jobs['user-project']
    expect(job.strategy.matrix.node).toEqual([22, 24, 26])
    expect(using(job.steps, 'actions/setup-node')?.with?.['node-version']).toBe('${{ matrix.node }}')
    const script = (job.steps as Step[]).map((s) => s.run ?? '').join('\n')
    expect(script).toMatch(/npm pack/)
    expect(script).toMatch(/npm install --save-dev [^\n]*vitest@5/)
    expect(script).not.toMatch(/--force|--legacy-peer-deps/)
    for (const command of ['npx kube-scenarios init', 'npm run build:app', 'npm test']) expect(script).toContain(command)
    // The repository's own jobs run npm on a supported line; its scripts on the pinned Node.
    for (const other of ['unit', 'scenarios', 'merge', 'conformance']) expect(Number(using(workflow.jobs[other].steps, 'actions/setup-node')?.with?.['node-version'])).toBeGreaterThanOrEqual(22)
  })
})

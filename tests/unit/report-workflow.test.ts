// The nightly workflow is linted with actionlint (built once from its Go module and cached), and
// checked for what the nightly promises: the k3s matrix, reports as artifacts, kept history.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { parse } from 'yaml'
import { CACHE_DIR } from '../../images/lib/paths.mjs'

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
  const job = workflow.jobs.scenarios
  const steps: Step[] = job.steps
  const using = (action: string) => steps.find((s) => s.uses?.startsWith(`${action}@`))

  test(
    'passes actionlint',
    () => {
      const lint = spawnSync(actionlint(), ['-no-color', WORKFLOW], { encoding: 'utf8' })
      expect({ status: lint.status, findings: lint.stdout + lint.stderr }).toEqual({ status: 0, findings: '' })
    },
    BUILD_TIMEOUT_MS + 60_000,
  )

  test('runs nightly and on demand, the full suite on k3s 1.34 and 1.33', () => {
    expect(workflow.on.schedule[0].cron).toMatch(/^\S+ \S+ \* \* \*$/)
    expect(workflow.on).toHaveProperty('workflow_dispatch')
    expect(job.strategy['fail-fast']).toBe(false)
    expect(job.strategy.matrix.include.map((m: Record<string, string>) => m['k3s-image'])).toEqual(['rancher/k3s:v1.34.1-k3s1', 'rancher/k3s:v1.33.5-k3s1'])
    expect(job.env).toMatchObject({ KUBE_SCENARIOS_CLUSTER: 'k3s', KUBE_SCENARIOS_K3S_IMAGE: '${{ matrix.k3s-image }}', KUBE_SCENARIOS_HISTORY: 'reports/history.jsonl' })
    expect(steps.some((s) => s.run === 'npm test')).toBe(true)
  })

  test('uploads the report and JUnit whatever the outcome, and carries the history to the next night', () => {
    const upload = using('actions/upload-artifact')
    expect(upload?.if).toBe('always()')
    expect(upload?.with?.path).toContain('reports/latest/')
    const restore = using('actions/cache/restore')
    const save = using('actions/cache/save')
    expect(restore?.with?.path).toBe('reports/history.jsonl')
    expect(save?.with?.path).toBe('reports/history.jsonl')
    expect(save?.if).toMatch(/^always\(\)/)
    // Each night saves under a new key; the next restores the newest by prefix.
    expect(save?.with?.key).toBe(restore?.with?.key)
    expect(save?.with?.key?.startsWith(restore?.with?.['restore-keys'] ?? '-')).toBe(true)
    expect(steps.indexOf(restore!)).toBeLessThan(steps.findIndex((s) => s.run === 'npm test'))
  })
})

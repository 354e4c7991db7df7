// From vitest's reported tasks (public vitest/node API) to the report's plain data: per scenario
// file its recipe and namespace, per test its ID, status, duration, timeline, errors and evidence.
import path from 'node:path'
import type { SerializedError, TestCase, TestModule } from 'vitest/node'
import type { ClusterInfo } from '../cluster/provider.js'
import { recipeIdOf, stepsOf, withUniqueKeys, type ErrorReport, type FileReport, type RunReport, type TestReport } from './model.js'

export interface RunFacts {
  startedAt: number
  endedAt: number
  outcome: RunReport['outcome']
  unhandledErrors: readonly SerializedError[]
  nodes?: string[]
  shard?: RunReport['shard']
}

/** The report data of the given modules (already narrowed to the scenario project). */
export function collectRun(modules: readonly TestModule[], facts: RunFacts): RunReport {
  const cluster = modules.map(clusterOf).find(Boolean)
  const firstScenario = modules.flatMap((m) => [...m.children.allTests()]).map((t) => t.meta().scenario).find(Boolean)
  return {
    runId: cluster?.runId ?? timestampId(facts.startedAt),
    provider: cluster?.provider ?? firstScenario?.provider,
    kubernetesVersion: cluster?.kubernetesVersion ?? firstScenario?.kubernetesVersion,
    ...(facts.nodes ? { nodes: facts.nodes } : {}),
    startedAt: facts.startedAt,
    endedAt: facts.endedAt,
    outcome: facts.outcome,
    files: withUniqueKeys(modules.map(collectFile)),
    unhandledErrors: facts.unhandledErrors.map(errorReport),
    ...(facts.shard ? { shard: facts.shard } : {}),
  }
}

/** The run's cluster as the scenario project's globalSetup provided it (absent when it never started). */
export function clusterOf(module: TestModule): ClusterInfo | undefined {
  try {
    return (module.project.getProvidedContext() as { cluster?: ClusterInfo }).cluster
  } catch {
    return undefined
  }
}

/** A run id for runs without a cluster: 20251125-114207. */
export function timestampId(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-')
}

export function collectFile(module: TestModule): FileReport {
  const tests = [...module.children.allTests()]
  const scenario = tests.map((t) => t.meta().scenario).find(Boolean)
  const suiteErrors = [...module.children.allSuites()].flatMap((s) => s.errors())
  return {
    recipe: scenario?.recipe ?? path.basename(module.moduleId).replace(/\.test\.[cm]?[jt]s$/, ''),
    file: module.relativeModuleId,
    ...(scenario?.namespace ? { namespace: scenario.namespace } : {}),
    durationMs: module.diagnostic().duration,
    errors: [...module.errors(), ...suiteErrors].map(errorReport),
    tests: tests.map(collectTest),
  }
}

function collectTest(test: TestCase): TestReport {
  const result = test.result()
  const meta = test.meta()
  const timeline = meta.timeline ?? []
  const diagnostic = test.diagnostic()
  const attempts = (diagnostic?.retryCount ?? 0) + 1
  return {
    id: recipeIdOf(test.name) ?? '',
    key: '', // set once all tests are known (withUniqueKeys)
    name: test.name,
    // A test still pending when the run ends (Ctrl-C) did not run to an outcome.
    status: result.state === 'pending' ? 'skipped' : result.state,
    durationMs: diagnostic?.duration ?? 0,
    steps: stepsOf(timeline),
    timeline,
    errors: (result.errors ?? []).map(errorReport),
    ...(meta.evidence ? { evidence: meta.evidence } : {}),
    ...(meta.forensics ? { forensics: meta.forensics } : {}),
    ...(attempts > 1 ? { attempts } : {}),
    ...(diagnostic?.flaky ? { flaky: true } : {}),
  }
}

/** What a wait's timeout message says it awaited ("... waiting until <condition>[; last outcome: ...]"). */
const AWAITED = /waiting until ([^\n]+?)(?:; last outcome: .*)?$/m

/** A serialised error as the report shows it; a WaitTimeoutError keeps the condition it awaited. */
export function errorReport(error: SerializedError & { diff?: string }): ErrorReport {
  const message = String(error.message ?? error)
  const awaited = typeof error.condition === 'string' ? error.condition : AWAITED.exec(message)?.[1]
  return {
    ...(error.name ? { name: String(error.name) } : {}),
    message,
    ...(error.diff ? { diff: error.diff } : {}),
    ...(awaited ? { awaited } : {}),
    ...(error.stack ? { stack: framesOf(String(error.stack)) } : {}),
  }
}

/** The stack's "at ..." lines (its first lines repeat the message, which the report shows already). */
function framesOf(stack: string): string {
  return stack
    .split('\n')
    .filter((line) => /^\s+at /.test(line))
    .join('\n')
}

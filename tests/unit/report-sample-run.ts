// A synthetic but realistic run for the report's tests: three recipes, passing, failing (a wait
// timeout with evidence, an assertion with a diff) and skipped tests, with steps, numeric series,
// Job pod intervals, watch events, cluster Events and notes, plus a few runs of history.
import { Timeline } from '../../lib/record/timeline.js'
import type { HistoryRecord } from '../../lib/report/history.js'
import { stepsOf, timelineStart, type FileReport, type RunReport, type TestReport } from '../../lib/report/model.js'

export const SAMPLE_START = Date.UTC(2025, 10, 25, 9, 0, 0)
export const HOSTILE_LOG = '<script>alert(1)</script>'

/** A timeline written against a clock the sample moves by hand. */
function clockedTimeline(start: number) {
  const clock = { now: start }
  const timeline = new Timeline(() => clock.now)
  const step = (name: string, ms: number, status: 'passed' | 'failed' = 'passed', error?: string) => {
    const startedAt = clock.now
    clock.now += ms
    timeline.record({ type: 'step', name, status, startedAt, ...(error ? { error } : {}) })
  }
  return { clock, timeline, step }
}

function test(name: string, status: TestReport['status'], timeline: Timeline, extra: Partial<TestReport> = {}): TestReport {
  const entries = timeline.sorted()
  const durationMs = entries.length ? (entries.at(-1)?.at ?? 0) - timelineStart(entries) : 0
  const id = name.split(' ')[0]!
  return { id, key: id, name, status, durationMs, steps: stepsOf(entries), timeline: entries, errors: [], ...extra }
}

function scalingFile(start: number): FileReport {
  const s1 = clockedTimeline(start)
  s1.timeline.record({ type: 'watch', kind: 'Deployment', name: 'my-nginx', event: 'APPLIED', detail: 'scaling/my-nginx.yaml' })
  s1.step('apply my-nginx Deployment and NodePort Service', 420)
  for (const [i, reason] of ['Scheduled', 'Pulled', 'Created', 'Started'].entries()) {
    s1.timeline.record({ type: 'event', object: `Pod/my-nginx-7c5ddbdf54-${i}`, reason, message: `${reason} my-nginx`, eventType: 'Normal' }, start + 600 + i * 900)
  }
  s1.step('wait for 2 Ready pods', 9_800)
  s1.step('wait for the Service endpoints', 1_100)
  s1.step('GET the NodePort from the test process', 180)

  const s4 = clockedTimeline(start + 30_000)
  s4.step('apply the HPA (2..5 replicas at 50% CPU)', 300)
  s4.step('wait until the CPU metric is known', 45_000)
  s4.step('start in-cluster load against the Service', 2_000)
  const loadStart = s4.clock.now
  const replicas = [2, 2, 3, 3, 5, 5, 5, 5, 4, 3, 2, 2]
  const cpu = [3, 160, 190, 140, 95, 62, 48, 40, 20, 4, 1, 0]
  replicas.forEach((value, i) => s4.timeline.record({ type: 'sample', series: 'replicas', value }, loadStart + i * 15_000))
  cpu.forEach((value, i) => s4.timeline.record({ type: 'sample', series: 'cpu %', value }, loadStart + i * 15_000 + 2_000))
  s4.timeline.record({ type: 'note', text: 'watch interrupted (socket hang up); re-listed' }, loadStart + 50_000)
  s4.step('wait until the HPA scales above 2 replicas', 30_000)
  s4.step('wait until the Deployment has rolled out the new count', 32_000)
  s4.step('stop the load', 400)
  s4.step('wait until the HPA is back at 2 replicas', 110_000)

  return {
    recipe: 'scaling',
    file: 'scenarios/scaling.test.ts',
    namespace: 'scaling-3f9a1c-ab12',
    durationMs: 260_000,
    errors: [],
    tests: [
      test('S1 both pods become Ready and the Service has 2 endpoints', 'passed', s1.timeline),
      test('S4 an HPA scales my-nginx above 2 under load, never past 5, and back to 2 after', 'passed', s4.timeline),
    ],
  }
}

function rollingFile(start: number): FileReport {
  const u3 = clockedTimeline(start)
  u3.step('apply bounded-nginx', 350)
  for (let i = 0; i < 40; i++) {
    const at = start + 400 + i * 500
    u3.timeline.record({ type: 'sample', series: 'rolling.p50', value: 3 + (i % 5) }, at)
    u3.timeline.record({ type: 'sample', series: 'rolling.p99', value: i > 20 && i < 26 ? 900 + i : 20 + (i % 7) * 3 }, at)
    u3.timeline.record({ type: 'sample', series: 'rolling.errors', value: i > 21 && i < 25 ? 4 : 0 }, at)
    if (i % 4 === 0) u3.timeline.record({ type: 'watch', kind: 'Pod', name: `bounded-nginx-6d8f-${i}`, event: i % 8 === 0 ? 'ADDED' : 'DELETED', detail: 'Running' }, at + 100)
  }
  u3.timeline.record({ type: 'event', object: 'Pod/bounded-nginx-6d8f-x2', reason: 'BackOff', message: 'Back-off restarting failed container nginx', eventType: 'Warning' }, start + 12_000)
  const awaited = 'deployment bounded-nginx has 5 updated, available replicas'
  const message = `timed out after 120 s waiting until ${awaited}\nlast observed: updatedReplicas=3 availableReplicas=4\nobjects:\n  Deployment/bounded-nginx: replicas=6 readyReplicas=4`
  u3.step('roll out nginx:1.28', 20_500, 'failed', message)
  const u6 = clockedTimeline(start + 25_000)
  u6.step('read the rollout history', 600)

  return {
    recipe: 'rolling-update',
    file: 'scenarios/rolling-update.test.ts',
    namespace: 'rolling-update-3f9a1c-cd34',
    durationMs: 27_000,
    errors: [],
    tests: [
      test('U3 throughout a rollout, pods stay within desired + maxSurge and availability within desired - maxUnavailable', 'failed', u3.timeline, {
        errors: [{ name: 'WaitTimeoutError', message, awaited, stack: '    at waitFor (lib/wait.ts:170:30)' }],
        evidence: {
          events: '  09:04:12 Warning BackOff Pod/bounded-nginx-6d8f-x2: Back-off restarting failed container nginx',
          podLogs: `  pod bounded-nginx-6d8f-x2 container nginx (waiting: CrashLoopBackOff ):\n    | nginx: [emerg] unexpected "}" ${HOSTILE_LOG}\n    | <img src=x onerror=alert(2)>`,
          objects: '  Deployment/bounded-nginx: {"replicas":6,"readyReplicas":4,"updatedReplicas":3}\n  Pod/bounded-nginx-6d8f-x2 on k3s-agent-1: Running ["Ready=False"]',
        },
      }),
      test('U6 kubectl apply of the edited manifest records revision 3', 'failed', u6.timeline, {
        errors: [
          {
            name: 'AssertionError',
            message: 'expected [ 1, 2 ] to deeply equal [ 1, 2, 3 ]',
            diff: '- Expected\n+ Received\n\n  [\n    1,\n    2,\n-   3,\n  ]',
          },
        ],
      }),
    ],
  }
}

function jobsFile(start: number): FileReport {
  const j2 = clockedTimeline(start)
  j2.step('apply package-check (completions 3, parallelism 1)', 300)
  for (let i = 0; i < 3; i++) {
    const startedAt = start + 1_000 + i * 6_000
    j2.timeline.record({ type: 'interval', series: 'Job pod runs', label: `package-check-${'abc'[i]}x7q`, startedAt, endedAt: startedAt + 5_200 }, startedAt + 5_200)
  }
  j2.step('wait until the Job completes', 19_000)
  return {
    recipe: 'jobs',
    file: 'scenarios/jobs.test.ts',
    namespace: 'jobs-3f9a1c-ef56',
    durationMs: 20_000,
    errors: [],
    tests: [test('J2 completions 3 run one after another', 'passed', j2.timeline), test('J5 a CronJob runs on schedule', 'skipped', new Timeline())],
  }
}

export function sampleRun(): RunReport {
  return {
    runId: '20251125-3f9a1c',
    provider: 'k3s',
    kubernetesVersion: 'v1.34.1+k3s1',
    nodes: ['k3s-server', 'k3s-agent-1'],
    startedAt: SAMPLE_START,
    endedAt: SAMPLE_START + 300_000,
    outcome: 'failed',
    files: [scalingFile(SAMPLE_START + 20_000), rollingFile(SAMPLE_START + 20_000), jobsFile(SAMPLE_START + 25_000)],
    unhandledErrors: [],
  }
}

/** Eight earlier runs: S1 stable, U3 flaky, U6 newly failing. */
export function sampleHistory(): HistoryRecord[] {
  const u3 = ['passed', 'failed', 'passed', 'passed', 'failed', 'passed', 'passed', 'passed'] as const
  return u3.map((status, i) => ({
    runId: `20251${117 + i}-00000${i}`,
    at: new Date(SAMPLE_START - (8 - i) * 86_400_000).toISOString(),
    provider: 'k3s',
    tests: {
      S1: { status: 'passed', durationMs: 11_000 + i * 300 },
      S4: { status: 'passed', durationMs: 210_000 + (i % 3) * 9_000 },
      U3: { status, durationMs: 19_000 + i * 500 },
      U6: { status: 'passed', durationMs: 700 },
      J2: { status: 'passed', durationMs: 19_500 },
    },
  }))
}

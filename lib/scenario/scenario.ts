// A scenario file's context: its own namespace on the run's cluster, typed clients, the fixtures
// of its recipe, waits that carry evidence, a timeline per test, evidence collected on failure.
import { AsyncLocalStorage } from 'node:async_hooks'
import { afterAll, afterEach, beforeAll, beforeEach, inject, test as vitestTest, type TestContext } from 'vitest'
import { createClients, isNotFound, type Clients } from '../api/client.js'
import { ensureNodes, loadImages, nodeImagesOf } from '../cluster/control.js'
import { describeLoad } from '../cluster/images.js'
import { MANAGED_LABEL, RUN_LABEL, type ClusterInfo } from '../cluster/provider.js'
import { collectEvidence, formatEvidence, type Evidence } from '../record/evidence.js'
import { collectForensics } from '../report/forensics.js'
import { recipeIdOf, type ForensicsReport } from '../report/model.js'
import { runFolder } from '../report/report-files.js'
import { applyFixtures, loadFixtures, type AppliedObject, type FixtureDocument, type KubeObject } from '../api/fixtures.js'
import { servicePortForward, type PortForward } from '../traffic/pods.js'
import { Timeline, type TimelineEntry } from '../record/timeline.js'
import { resourcesGone } from '../workloads/conditions.js'
import { startRun, type Run } from '../cluster/run.js'
import { runSettings } from '../config/settings.js'
import { NodeLostError, describeLoss } from '../observe/node-loss.js'
import { ImagePullError } from '../observe/image-pulls.js'
import { defaultWarn } from '#images/lib/state-files.mjs'
import { WaitTimeoutError, waitFor, type Condition, type WaitOptions } from '../observe/wait.js'
import { ObservationGapError, describeSelection, watchObjects, type ObservationGap, type Selection, type WatchHandle, type WatchHandlers, type ObservedObject } from '../observe/watch.js'

declare module 'vitest' {
  interface TaskMeta {
    /** What happened during the test, for reports. */
    timeline?: TimelineEntry[]
    /** Collected when the test failed, before its namespace was deleted. */
    evidence?: Evidence
    /** Files collected into the run's report folder when the test failed. */
    forensics?: ForensicsReport
    /** Recipe and namespace the test ran in. */
    scenario?: { recipe: string; namespace: string; provider: string; kubernetesVersion: string }
  }
}

/** What to watch and what to do with it: the complete initial state, then each change. */
export interface Observer extends Pick<WatchHandlers, 'onListed' | 'onChange' | 'onGap'> {
  selection: Selection
}

/** A test body; it gets vitest's test context. */
export type ScenarioTestBody = (context: TestContext) => Promise<void> | void

/**
 * Declares a test of the scenario, as vitest's `test` does, so that what its body records (steps,
 * watch entries, notes) lands on its own timeline even while other tests of the file run at the
 * same time: `s.test.concurrent(...)`, or `s.test(...)` inside a `describe.concurrent`.
 * `s.test.sequential` keeps tests that build on each other in order inside a concurrent block.
 */
export interface ScenarioTest {
  (name: string, body: ScenarioTestBody, timeoutMs?: number): void
  concurrent(name: string, body: ScenarioTestBody, timeoutMs?: number): void
  sequential(name: string, body: ScenarioTestBody, timeoutMs?: number): void
}

export interface ScenarioOptions {
  /** Nodes the recipe needs; the shared cluster grows to that many before the first test. */
  nodes?: number
  /**
   * A cluster of the file's own (of the run's provider; a run on a borrowed cluster starts one as
   * `auto` would without the kubeconfig), started before the first test and removed after the
   * last: for scenarios that break their cluster (kill a node, restart the API server), which
   * would disturb the files sharing the run's.
   */
  ownCluster?: boolean
  /**
   * Images of this machine's Docker the file's fixtures run (your app): put into the cluster
   * before the first test (an image loaded before, by id, is not loaded again).
   */
  images?: string[]
}

export interface Scenario {
  /** The recipe, e.g. "scaling": names the namespace and the fixtures folder. */
  readonly recipe: string
  readonly namespace: string
  readonly cluster: ClusterInfo
  readonly api: Clients
  /** Declares a test whose steps and timeline are its own, also when tests run concurrently. */
  readonly test: ScenarioTest
  /**
   * The running test's timeline (a new one per test). Outside any test (hooks, watches started in
   * beforeAll) it is the file's: its entries join the timeline of every test running at the time.
   */
  readonly timeline: Timeline
  /** A named step of the recipe: recorded with its duration, shown in the report. */
  step<T>(name: string, run: () => Promise<T> | T): Promise<T>
  /** Applies fixtures (paths relative to fixtures/) into the scenario's namespace. */
  apply(...files: string[]): Promise<AppliedObject[]>
  /**
   * Applies objects built by the scenario (when they depend on what the cluster looks like, e.g.
   * one pod per node), with the same validation as fixtures; `origin` names them in errors.
   */
  applyObjects(origin: string, ...objects: KubeObject[]): Promise<AppliedObject[]>
  /** Waits until the condition holds; on timeout the error carries status, Events and logs. */
  waitFor<T>(condition: Condition<T>, options?: WaitOptions): Promise<T>
  /**
   * Watches while `body` runs, for claims that must hold throughout it (rollout bounds, ordering):
   * each observer gets the complete listed state first, then every change, recorded on the
   * timeline. The watches stop when `body` ends, thrown or not. If a watch had to re-list
   * (a gap), what happened throughout is undecided: it rejects with ObservationGapError.
   */
  during<T>(observers: Observer | Observer[], body: () => Promise<T>): Promise<T>
  /**
   * Watches until the returned handle is stopped (for observations that span tests, e.g. a
   * beforeAll..afterAll); gaps go to the observer's onGap and the timeline.
   */
  observe(observer: Observer): Promise<WatchHandle>
  /** Collects the namespace's evidence now (events, unready pod logs, workload status). */
  evidence(): Promise<Evidence>
  /**
   * A URL on 127.0.0.1 for a Service of the scenario's namespace (any type, no fixed nodePort):
   * each connection goes to one of its ready endpoints; closed after the file's last test.
   */
  serviceUrl(name: string, port: number): Promise<string>
}

/**
 * Declares the scenario of one test file. Call it once at the top of the file: it registers the
 * hooks that create the namespace before the first test and delete it after the last (unless
 * KUBE_SCENARIOS_KEEP_NAMESPACES=1), and that collect evidence when a test fails.
 */
export function useScenario(recipe: string, options: ScenarioOptions = {}): Scenario {
  let state: { cluster: ClusterInfo; api: Clients; namespace: string } | undefined
  let ownRun: Run | undefined
  const ready = () => {
    if (!state) throw new Error('the scenario is used outside a test (its namespace exists only while tests run)')
    return state
  }
  // Per test: its timeline and when it started; tests declared with s.test find theirs through
  // runningTest, plain vitest tests through being the only one running.
  const tests = new Map<string, { timeline: Timeline; startedAt: number }>()
  const fileTimeline = new Timeline()
  const runningTimeline = (): Timeline | undefined => {
    const own = runningTest.getStore()
    if (own) return tests.get(own)?.timeline
    if (tests.size === 1) return [...tests.values()][0]!.timeline
    return undefined
  }
  const currentTimeline = () => runningTimeline() ?? fileTimeline

  beforeAll(async () => {
    const shared = inject('cluster')
    if (!shared) throw new Error(`no cluster for this run: ${inject('clusterFailure') ?? 'the scenarios project ran without its global setup'}`)
    if (options.ownCluster) {
      const settings = { ...runSettings(), cluster: shared.provider === 'kubeconfig' ? ('auto' as const) : shared.provider, nodes: options.nodes ?? 1 }
      ownRun = await startRun(settings, { borrow: false, log: (line) => fileTimeline.note(`own cluster: ${line}`) })
    }
    const cluster = ownRun?.info ?? shared
    const api = createClients(cluster.kubeconfig)
    if (!ownRun && options.nodes && options.nodes > 1) await ensureNodes(cluster, options.nodes)
    if (options.images?.length) for (const load of await loadImages(cluster, options.images)) fileTimeline.note(describeLoad(load))
    const namespace = `${recipe}-${cluster.runId.slice(-6)}-${Math.random().toString(36).slice(2, 6)}`
    await api.core.createNamespace({
      body: { metadata: { name: namespace, labels: { [RUN_LABEL]: cluster.runId, [MANAGED_LABEL]: 'true', 'kube-scenarios.dev/recipe': recipe } } },
    })
    state = { cluster, api, namespace }
  })

  beforeEach((context: TestContext) => {
    tests.set(context.task.id, { timeline: new Timeline(), startedAt: Date.now() })
    const { cluster, namespace } = ready()
    context.task.meta.scenario = { recipe, namespace, provider: cluster.provider, kubernetesVersion: cluster.kubernetesVersion }
    context.onTestFailed(async () => {
      const [evidence, forensics] = await Promise.all([collectEvidence(ready().api, namespace), collectTestForensics(context)])
      context.task.meta.evidence = evidence
      if (forensics) context.task.meta.forensics = forensics
    })
  })

  /** The failed test's forensics, into the run's report folder (reports/<the run's id>/forensics/). */
  const collectTestForensics = async (context: TestContext): Promise<ForensicsReport | undefined> => {
    const { api, cluster, namespace } = ready()
    const run = inject('cluster')
    const settings = runSettings()
    const key = (recipeIdOf(context.task.name) ?? context.task.name).replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 80)
    return collectForensics({
      clients: api,
      cluster,
      namespace,
      runFolder: runFolder(settings.reportDir, run?.runId ?? cluster.runId),
      name: `${recipe}-${key}`,
      budgetMs: settings.timeouts.forensics,
    }).catch((error: unknown) => {
      // A collector never fails the test it explains.
      fileTimeline.note(`forensics could not be collected: ${(error as Error)?.message ?? error}`)
      return undefined
    })
  }

  afterEach((context: TestContext) => {
    const own = tests.get(context.task.id)
    if (!own) return
    tests.delete(context.task.id)
    const now = Date.now()
    const shared = fileTimeline.entries.filter((e) => e.at >= own.startedAt && e.at <= now)
    context.task.meta.timeline = [...own.timeline.entries, ...shared].sort((a, b) => a.at - b.at)
  })

  const serviceForwards: PortForward[] = []
  afterAll(async () => {
    await Promise.all(serviceForwards.splice(0).map((forward) => forward.close()))
    // An own cluster goes with everything in it.
    if (ownRun) return ownRun.stop()
    const settings = runSettings()
    if (!state || settings.keepNamespaces) return
    const { api, namespace } = state
    await api.core.deleteNamespace({ name: namespace }).catch((error) => {
      if (!isNotFound(error)) throw error
    })
    // The tests are over: their pods need no graceful stop (a shell sleeping as PID 1 ignores
    // SIGTERM and would hold the namespace for its whole grace period). A terminating namespace
    // admits no new pods, so nothing replaces them.
    await api.core.deleteCollectionNamespacedPod({ namespace, gracePeriodSeconds: 0 }).catch((error) => {
      if (!isNotFound(error)) throw error
    })
    // Waiting for its pods to stop keeps the cluster's load honest for the files that still run;
    // the namespace controller's sweep of the emptied namespace (~5 s) goes on without us. The
    // inner loop (`kube-scenarios dev`) runs one file at a time and wants its result now.
    if (settings.dev) return
    await awaitPodsGone(api, namespace, settings.timeouts.namespaceGone)
  })

  const applyDocuments = async (documents: FixtureDocument[]) => {
    const { api, namespace, cluster } = ready()
    const applied = await applyFixtures(api, documents, { namespace, imageOverrides: cluster.imageOverrides })
    for (const a of applied) currentTimeline().record({ type: 'watch', kind: a.object.kind, name: a.object.metadata.name, event: 'APPLIED', detail: a.file })
    return applied
  }

  const startObserving = ({ selection, onListed, onChange, onGap }: Observer): Promise<WatchHandle> =>
    watchObjects(ready().api, selection, {
      onListed(objects) {
        currentTimeline().note(`watching ${describeSelection(selection)}: ${objects.length} listed`)
        onListed?.(objects)
      },
      onChange(objects, type, object) {
        currentTimeline().record({ type: 'watch', kind: object.kind, name: object.metadata.name, event: type, detail: phaseOf(object) })
        onChange?.(objects, type, object)
      },
      onTransientError: (error) => currentTimeline().note(`watch interrupted (${(error as Error)?.message ?? error}); resuming`),
      onGap(gap) {
        currentTimeline().note(`watch on ${gap.selection} lost its place and re-listed after ${gap.to - gap.from} ms: changes in between are known only by their net effect`)
        onGap?.(gap)
      },
    })

  const scenario: Scenario = {
    recipe,
    get namespace() {
      return ready().namespace
    },
    get cluster() {
      return ready().cluster
    },
    get api() {
      return ready().api
    },
    test: scenarioTest,
    get timeline() {
      return currentTimeline()
    },
    step(name, run) {
      const timeline = runningTimeline()
      if (!timeline) throw new Error(`step "${name}" ran outside a test, or in a concurrent test not declared with s.test: its test cannot be told`)
      return timeline.step(name, run)
    },
    async apply(...files) {
      return applyDocuments(await loadFixtures(files))
    },
    applyObjects(origin, ...objects) {
      return applyDocuments(objects.map((object, i) => ({ file: `(${origin})`, document: i + 1, object })))
    },
    waitFor(condition, waitOptions = {}) {
      const { api, namespace, cluster } = ready()
      const timeline = currentTimeline()
      return waitFor(api, condition, {
        evidence: async () => formatEvidence(await collectEvidence(api, namespace)),
        onTransientError: (error) => timeline.note(`watch interrupted (${(error as Error)?.message ?? error}); resuming`),
        ...waitOptions,
      }).catch(async (error: unknown) => {
        if (error instanceof NodeLostError) timeline.note(describeLoss(error.loss))
        if (error instanceof ImagePullError) {
          timeline.note(error.message.split('\n')[0]!)
          // The remedy names the real cause: what the nodes hold (loaded, or an offline cluster's)
          // and the pull policy that made the kubelet pull it anyway.
          throw new ImagePullError(error.failures, error.condition, await nodeImagesOf(api, cluster))
        }
        throw error
      })
    },
    observe(observer) {
      return startObserving(observer)
    },
    async during(observers, body) {
      const gaps: ObservationGap[] = []
      const handles: WatchHandle[] = []
      try {
        for (const observer of [observers].flat()) {
          handles.push(await startObserving({ ...observer, onGap: (gap) => (gaps.push(gap), observer.onGap?.(gap)) }))
        }
        const result = await body()
        if (gaps.length) throw new ObservationGapError(gaps)
        return result
      } finally {
        for (const handle of handles) handle.stop()
      }
    },
    evidence() {
      const { api, namespace } = ready()
      return collectEvidence(api, namespace)
    },
    async serviceUrl(name, port) {
      const { api, namespace } = ready()
      const forward = await servicePortForward(api, { namespace, name }, port)
      serviceForwards.push(forward)
      return forward.url
    },
  }
  return scenario
}

/**
 * Waits for a namespace's pods to be gone after its file. When they are not within `timeoutMs`
 * (the `namespaceGone` timeout), one warning line names the namespace and what was left; the run
 * goes on (its tests are over).
 */
export async function awaitPodsGone(api: Clients, namespace: string, timeoutMs: number, warn: (line: string) => void = defaultWarn): Promise<void> {
  await waitFor(api, resourcesGone({ apiVersion: 'v1', kind: 'Pod', namespace }, `the pods of namespace ${namespace}`), { timeoutMs }).catch((error: unknown) => {
    const left = error instanceof WaitTimeoutError ? error.explanation || 'its pods (not even listed in that time)' : `pods it could not watch (${(error as Error).message})`
    warn(`namespace ${namespace}: ${left} still there ${timeoutMs / 1000} s after its file ended (timeouts namespaceGone); the run goes on`)
  })
}

/** The id of the test whose body is running, for tests declared with s.test. */
const runningTest = new AsyncLocalStorage<string>()

const asOwnTest = (body: ScenarioTestBody) => (context: TestContext) => runningTest.run(context.task.id, () => body(context))
const scenarioTest: ScenarioTest = Object.assign((name: string, body: ScenarioTestBody, timeoutMs?: number) => vitestTest(name, asOwnTest(body), timeoutMs), {
  concurrent: (name: string, body: ScenarioTestBody, timeoutMs?: number) => vitestTest.concurrent(name, asOwnTest(body), timeoutMs),
  // vitest 5 dropped test.sequential; `concurrent: false` is its replacement inside a concurrent block.
  sequential: (name: string, body: ScenarioTestBody, timeoutMs?: number) => vitestTest(name, { concurrent: false, timeout: timeoutMs }, asOwnTest(body)),
})

function phaseOf(object: ObservedObject): string | undefined {
  const status = object.status ?? {}
  if (typeof status.phase === 'string') return `${status.phase}${object.metadata.deletionTimestamp ? ' (terminating)' : ''}`
  if (typeof status.readyReplicas === 'number' || typeof status.replicas === 'number') return `replicas=${status.replicas ?? 0} ready=${status.readyReplicas ?? 0}`
  return undefined
}

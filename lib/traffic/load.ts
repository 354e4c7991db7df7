// Load: HTTP load from the test process with autocannon (through a mapped NodePort or a
// port-forward), sampled over time; and an in-cluster load generator for CPU-driven scaling.
import autocannon from 'autocannon'
import { get as httpGet, type ClientRequest } from 'node:http'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { CACHE_DIR } from '#images/lib/paths.mjs'
import { withFileLock } from '#images/lib/state-files.mjs'
import type { Clients } from '../api/client.js'
import { applyFixtures, type KubeObject } from '../api/fixtures.js'
import { runSettings } from '../config/settings.js'
import type { Timeline } from '../record/timeline.js'

/** One interval of load: what was sent and how it went. */
export interface LoadSample {
  /** End of the interval (ms since epoch). */
  at: number
  requests: number
  /** Requests that got no HTTP response (refused, reset, timed out). */
  errors: number
  non2xx: number
  p50Ms: number
  p99Ms: number
}

/** A span of time (ms since epoch). */
export interface Window {
  from: number
  to: number
}

export interface LoadResult {
  requests: number
  errors: number
  non2xx: number
  latency: { p50Ms: number; p90Ms: number; p99Ms: number; maxMs: number }
  samples: LoadSample[]
  /** Failed requests by cause (ECONNREFUSED, ECONNRESET, timeout...), for the report and messages. */
  errorCauses: Record<string, number>
  /** Each failed request: its span and cause (an HTTP status for a non-2xx answer). */
  failures: Array<Window & { cause: string }>
  /** When requests failed: the spans of failed requests (errors or non-2xx), overlapping ones merged. */
  outageWindows: Window[]
  /** Total length of the outage windows. */
  outageMs: number
  /**
   * When this process itself stalled (its timers ran STALL_MS or more late): the machine, not the
   * Service, was slow then. Failed requests inside such a window cannot be blamed on either.
   */
  stallWindows: Window[]
}

/** A timer this late means the load generator (so the machine) stalled. */
export const STALL_MS = 300
const STALL_PROBE_MS = 100

export interface HttpLoadOptions {
  url: string
  /** Concurrent connections (or request loops); default 8. */
  connections?: number
  headers?: Record<string, string>
  /**
   * A new connection for every request, so each request is routed by the Service's current
   * endpoints (kube-proxy balances connections, not requests). Default: keep-alive connections.
   */
  connectionPerRequest?: boolean
  /** Sampling interval; default 500 ms. */
  sampleIntervalMs?: number
  /** A request without a response after this long counts as an error; default: the `http` timeout. */
  requestTimeoutMs?: number
  /** Samples are recorded here as series `<prefix>.p99`, `<prefix>.errors`, ... */
  timeline?: Timeline
  seriesPrefix?: string
}

export interface LoadHandle {
  /** Stops the load and returns the whole run's result. */
  stop(): Promise<LoadResult>
}

/** How one request ended: an HTTP status, or an error cause when no response came. */
type RequestOutcome = { endedAt: number; durationMs: number } & ({ status: number } | { error: string })

interface LoadDriver {
  stop(): Promise<void>
}

/** Failed requests whose spans are this close are one outage window. */
const OUTAGE_JOIN_MS = 50

/** Starts HTTP load that runs until stopped. */
export function startHttpLoad(options: HttpLoadOptions): LoadHandle {
  const sampleIntervalMs = options.sampleIntervalMs ?? 500
  const prefix = options.seriesPrefix ?? 'load'
  const all: number[] = []
  const samples: LoadSample[] = []
  const failures: Array<Window & { cause: string }> = []
  let window = { latencies: [] as number[], errors: 0, non2xx: 0 }
  const totals = { requests: 0, errors: 0, non2xx: 0 }
  const errorCauses: Record<string, number> = {}

  const record = (outcome: RequestOutcome) => {
    totals.requests++
    const span = { from: outcome.endedAt - outcome.durationMs, to: outcome.endedAt }
    if ('error' in outcome) {
      errorCauses[outcome.error] = (errorCauses[outcome.error] ?? 0) + 1
      window.errors++
      totals.errors++
      failures.push({ ...span, cause: outcome.error })
      return
    }
    window.latencies.push(outcome.durationMs)
    all.push(outcome.durationMs)
    if (outcome.status < 200 || outcome.status >= 300) {
      window.non2xx++
      totals.non2xx++
      failures.push({ ...span, cause: `HTTP ${outcome.status}` })
    }
  }
  const flush = () => {
    const sample: LoadSample = {
      at: Date.now(),
      requests: window.latencies.length + window.errors,
      errors: window.errors,
      non2xx: window.non2xx,
      p50Ms: percentile(window.latencies, 50),
      p99Ms: percentile(window.latencies, 99),
    }
    samples.push(sample)
    window = { latencies: [], errors: 0, non2xx: 0 }
    const t = options.timeline
    if (t) {
      t.sample(`${prefix}.requests`, sample.requests)
      t.sample(`${prefix}.errors`, sample.errors + sample.non2xx)
      t.sample(`${prefix}.p50`, sample.p50Ms)
      t.sample(`${prefix}.p99`, sample.p99Ms)
    }
  }
  const driver = options.connectionPerRequest ? startPerRequestLoad(options, record) : startAutocannonLoad(options, record)
  const timer = setInterval(flush, sampleIntervalMs)
  const stalls = probeStalls()

  return {
    async stop() {
      clearInterval(timer)
      const stallWindows = stalls.stop()
      await driver.stop()
      flush()
      const outageWindows = mergeWindows(failures, OUTAGE_JOIN_MS)
      return {
        ...totals,
        errorCauses,
        failures,
        stallWindows,
        latency: { p50Ms: percentile(all, 50), p90Ms: percentile(all, 90), p99Ms: percentile(all, 99), maxMs: Math.max(0, ...all) },
        samples,
        outageWindows,
        outageMs: outageWindows.reduce((sum, w) => sum + (w.to - w.from), 0),
      }
    },
  }
}

/** A timer every STALL_PROBE_MS; each time it runs STALL_MS or more late is a stall window. */
function probeStalls(): { stop(): Window[] } {
  const windows: Window[] = []
  let last = performance.now()
  const check = () => {
    const now = performance.now()
    const lateMs = now - last - STALL_PROBE_MS
    if (lateMs >= STALL_MS) windows.push({ from: Date.now() - lateMs, to: Date.now() })
    last = now
  }
  const probe = setInterval(check, STALL_PROBE_MS)
  return {
    stop() {
      clearInterval(probe)
      // A stall just before the stop has not met its timer yet.
      check()
      return windows
    },
  }
}

/**
 * The failed requests the Service alone answers for. A request that timed out while this machine
 * stalled could have been the machine's doing; an answer (any HTTP status) or a refusal is the
 * Service's whatever the machine did.
 */
export function failuresOfTheService(result: Pick<LoadResult, 'failures' | 'stallWindows'>): Array<Window & { cause: string }> {
  return result.failures.filter((f) => !(/timed?\s?out/i.test(f.cause) && result.stallWindows.some((s) => s.from <= f.to && f.from <= s.to)))
}

/** autocannon over keep-alive connections: the most requests per second from one process. */
function startAutocannonLoad(options: HttpLoadOptions, record: (outcome: RequestOutcome) => void): LoadDriver {
  const timeoutMs = options.requestTimeoutMs ?? runSettings().timeouts.http
  let markFinished!: () => void
  const finished = new Promise<void>((resolve) => (markFinished = resolve))
  const instance = autocannon(
    {
      url: options.url,
      connections: options.connections ?? 8,
      duration: 24 * 3600,
      timeout: Math.ceil(timeoutMs / 1000),
      headers: options.headers,
    },
    () => markFinished(),
  )
  instance.on('response', (_client: unknown, status: number, _bytes: number, durationMs: number) => record({ endedAt: Date.now(), durationMs, status }))
  instance.on('reqError', (error: Error & { code?: string }) => {
    const cause = error.code ?? error.message
    // autocannon reports a timeout when it gives up, without the request's start.
    record({ endedAt: Date.now(), durationMs: /timeout/i.test(cause) ? timeoutMs : 0, error: cause })
  })
  return {
    async stop() {
      instance.stop()
      await finished
    },
  }
}

/**
 * One request per connection, timed here. autocannon cannot time this mode: when the server closes
 * the connection it keeps the unanswered next request queued and charges its age to the following
 * response, so its latencies grow steadily with the run.
 */
function startPerRequestLoad(options: HttpLoadOptions, record: (outcome: RequestOutcome) => void): LoadDriver {
  const timeoutMs = options.requestTimeoutMs ?? runSettings().timeouts.http
  const url = new URL(options.url)
  const inFlight = new Set<ClientRequest>()
  let running = true
  const once = () =>
    new Promise<void>((resolve) => {
      const startedAt = performance.now()
      let settled = false
      const settle = (outcome: { status: number } | { error: string }) => {
        if (settled) return
        settled = true
        inFlight.delete(request)
        // A request cut short by stop() is not an outcome of the load.
        if (running) record({ endedAt: Date.now(), durationMs: performance.now() - startedAt, ...outcome })
        resolve()
      }
      const request = httpGet(url, { agent: false, headers: options.headers, timeout: timeoutMs }, (response) => {
        response.on('error', (error: NodeJS.ErrnoException) => settle({ error: error.code ?? error.message }))
        response.on('end', () => settle({ status: response.statusCode ?? 0 }))
        response.resume()
      })
      inFlight.add(request)
      request.on('timeout', () => request.destroy(Object.assign(new Error('timeout'), { code: 'timeout' })))
      request.on('error', (error: NodeJS.ErrnoException) => settle({ error: error.code ?? error.message }))
    })
  const loops = Array.from({ length: options.connections ?? 8 }, async () => {
    while (running) await once()
  })
  return {
    async stop() {
      running = false
      for (const request of inFlight) request.destroy()
      await Promise.all(loops)
    },
  }
}

/**
 * Runs `body` when no other run on this machine measures load: two load measurements at once
 * share the same cores and skew each other's latencies (two `npm test` side by side on 2 cores
 * timed requests out). The other waits its turn (a machine-wide lock).
 */
export function withLoadTurn<T>(body: () => Promise<T>): Promise<T> {
  return withFileLock(LOAD_TURN_LOCK, body)
}

const LOAD_TURN_LOCK = path.join(CACHE_DIR, 'load-turn')

/** Nearest-rank percentile; 0 for no values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!
}

/** Merges windows that overlap or lie within `joinWithinMs` of each other, in time order. */
export function mergeWindows(windows: readonly Window[], joinWithinMs: number): Window[] {
  const merged: Window[] = []
  for (const w of [...windows].sort((a, b) => a.from - b.from)) {
    const last = merged.at(-1)
    if (last && w.from <= last.to + joinWithinMs) last.to = Math.max(last.to, w.to)
    else merged.push({ from: w.from, to: w.to })
  }
  return merged
}

export interface LoadGeneratorOptions {
  namespace: string
  /** URL as seen from inside the cluster, e.g. http://my-nginx */
  targetUrl: string
  /** Parallel request loops; default 4. */
  workers?: number
  imageOverrides?: Readonly<Record<string, string>>
  name?: string
}

/**
 * Starts an in-cluster load generator (busybox wget loops in a Deployment) and returns a function
 * that stops it. Used where the load must come from inside (HPA CPU scaling).
 */
export async function startLoadGenerator(clients: Clients, options: LoadGeneratorOptions): Promise<{ stop(): Promise<void> }> {
  const name = options.name ?? 'load-generator'
  const workers = options.workers ?? 4
  const loop = `while true; do wget -q -O /dev/null -T 2 ${options.targetUrl} || true; done`
  const script = Array.from({ length: workers }, () => `(${loop}) &`).join(' ') + ' wait'
  const deployment: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: { app: name } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'load', image: 'busybox:1.36', command: ['sh', '-c', script] }] },
      },
    },
  }
  await applyFixtures(clients, [{ file: `(load generator ${name})`, document: 1, object: deployment }], options)
  return {
    async stop() {
      await clients.apps.deleteNamespacedDeployment({ namespace: options.namespace, name, propagationPolicy: 'Foreground', gracePeriodSeconds: 0 })
    },
  }
}

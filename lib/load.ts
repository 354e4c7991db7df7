// Load: HTTP load from the test process with autocannon (through a mapped NodePort or a
// port-forward), sampled over time; and an in-cluster load generator for CPU-driven scaling.
import autocannon from 'autocannon'
import type { Clients } from './api.js'
import { applyFixtures, type KubeObject } from './fixtures.js'
import type { Timeline } from './timeline.js'

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

export interface LoadResult {
  requests: number
  errors: number
  non2xx: number
  latency: { p50Ms: number; p90Ms: number; p99Ms: number; maxMs: number }
  samples: LoadSample[]
  /** Failed requests by cause (ECONNREFUSED, ECONNRESET, timeout...), for the report and messages. */
  errorCauses: Record<string, number>
  /** Sample intervals in which at least one request failed (errors or non-2xx). */
  failingIntervals: Array<{ from: number; to: number }>
}

export interface HttpLoadOptions {
  url: string
  /** Concurrent connections; default 8. */
  connections?: number
  headers?: Record<string, string>
  /** Sampling interval; default 500 ms. */
  sampleIntervalMs?: number
  /** A request without a response after this long counts as an error; default 5000 ms. */
  requestTimeoutMs?: number
  /** Samples are recorded here as series `<prefix>.p99`, `<prefix>.errors`, ... */
  timeline?: Timeline
  seriesPrefix?: string
}

export interface LoadHandle {
  /** Stops the load and returns the whole run's result. */
  stop(): Promise<LoadResult>
}

/** Starts HTTP load that runs until stopped. */
export function startHttpLoad(options: HttpLoadOptions): LoadHandle {
  const sampleIntervalMs = options.sampleIntervalMs ?? 500
  const prefix = options.seriesPrefix ?? 'load'
  const all: number[] = []
  const samples: LoadSample[] = []
  let window = { latencies: [] as number[], errors: 0, non2xx: 0 }
  let totals = { requests: 0, errors: 0, non2xx: 0 }
  const errorCauses: Record<string, number> = {}

  let markFinished!: () => void
  const finished = new Promise<void>((resolve) => (markFinished = resolve))
  const instance = autocannon(
    {
      url: options.url,
      connections: options.connections ?? 8,
      duration: 24 * 3600,
      timeout: Math.ceil((options.requestTimeoutMs ?? 5000) / 1000),
      headers: options.headers,
    },
    () => markFinished(),
  )
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    window.latencies.push(responseTime)
    all.push(responseTime)
    totals.requests++
    if (statusCode < 200 || statusCode >= 300) {
      window.non2xx++
      totals.non2xx++
    }
  })
  instance.on('reqError', (error: Error & { code?: string }) => {
    const cause = error.code ?? error.message
    errorCauses[cause] = (errorCauses[cause] ?? 0) + 1
    window.errors++
    totals.requests++
    totals.errors++
  })
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
  const timer = setInterval(flush, sampleIntervalMs)

  return {
    async stop() {
      clearInterval(timer)
      instance.stop()
      await finished
      flush()
      return {
        ...totals,
        errorCauses,
        latency: { p50Ms: percentile(all, 50), p90Ms: percentile(all, 90), p99Ms: percentile(all, 99), maxMs: Math.max(0, ...all) },
        samples,
        failingIntervals: failingIntervals(samples, sampleIntervalMs),
      }
    },
  }
}

/** Nearest-rank percentile; 0 for no values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!
}

/** Merges consecutive failing samples into intervals (the outage windows). */
export function failingIntervals(samples: readonly LoadSample[], intervalMs: number): Array<{ from: number; to: number }> {
  const intervals: Array<{ from: number; to: number }> = []
  for (const s of samples) {
    if (s.errors + s.non2xx === 0) continue
    const last = intervals.at(-1)
    if (last && s.at - intervalMs <= last.to) last.to = s.at
    else intervals.push({ from: s.at - intervalMs, to: s.at })
  }
  return intervals
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

// The HTTP load drivers against a server on 127.0.0.1 that this test starts and counts on: each
// test moves on when the server has seen what it needs (request counts), never after a fixed
// sleep, and bounds what the load reports by what the server itself saw, so a busy machine makes
// the tests slower, not wrong.
import { createServer, type Server, type ServerResponse } from 'node:http'
import { afterEach, describe, expect, test, vi } from 'vitest'
import { STALL_MS, failuresOfTheService, startHttpLoad } from '../../lib/traffic/load.js'
import { Timeline } from '../../lib/record/timeline.js'

let server: Server | undefined
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())))

/** A server answering with `answer`; `seen` counts the requests it received. */
async function serve(answer: (response: ServerResponse) => void): Promise<{ url: string; seen: { requests: number } }> {
  const seen = { requests: 0 }
  server = createServer((_request, response) => {
    seen.requests++
    answer(response)
  })
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/`, seen }
}

/** Until `holds` is true: a condition, however slow the machine (the test's own timeout bounds it). */
const until = (description: string, holds: () => boolean) =>
  vi.waitFor(() => {
    if (!holds()) throw new Error(`not yet: ${description}`)
  }, { timeout: 30_000, interval: 5 })

describe.each([
  ['one connection per request', true],
  ['keep-alive connections (autocannon)', false],
])('HTTP load, %s', (_name, connectionPerRequest) => {
  test('a healthy server: every request answered and counted, no outage, latencies that do not grow with the run', async () => {
    const { url, seen } = await serve((response) => response.end('ok'))
    const timeline = new Timeline()
    const load = startHttpLoad({ url, connections: 2, connectionPerRequest, sampleIntervalMs: 50, timeline })
    // Long enough for a growth to show: 300 requests over at least 12 samples that saw some.
    await until('the server answered 300 requests over 12 samples', () => seen.requests >= 300 && timeline.series('load.requests').filter((s) => s.value > 0).length >= 12)
    const result = await load.stop()
    // Requests cut short by stop() are not outcomes; at most one per connection.
    expect(result.requests).toBeGreaterThanOrEqual(seen.requests - 2)
    expect(result.requests).toBeLessThanOrEqual(seen.requests)
    expect({ errors: result.errors, non2xx: result.non2xx, outageMs: result.outageMs }).toEqual({ errors: 0, non2xx: 0, outageMs: 0 })
    expect(result.samples.reduce((sum, s) => sum + s.requests, 0)).toBe(result.requests)
    // A queued request's age must not leak into the next response's time: such a leak grows the
    // latencies with every request, so the run's last samples would be far slower than its first.
    const answered = result.samples.filter((s) => s.requests > 0)
    const mean = (samples: typeof answered) => samples.reduce((sum, s) => sum + s.p50Ms, 0) / samples.length
    const third = Math.max(1, Math.floor(answered.length / 3))
    expect(mean(answered.slice(-third))).toBeLessThan(3 * mean(answered.slice(0, third)) + 50)
  }, 60_000)

  test('a failing window: non-2xx answers are counted and form one outage window, bounded by when the server failed', async () => {
    let failing = false
    const failed: number[] = []
    const { url, seen } = await serve((response) => {
      response.statusCode = failing ? 503 : 200
      if (failing) failed.push(Date.now())
      response.end()
    })
    const load = startHttpLoad({ url, connections: 2, connectionPerRequest })
    await until('20 requests answered', () => seen.requests >= 20)
    const failingFrom = Date.now()
    failing = true
    await until('20 requests failed', () => failed.length >= 20)
    failing = false
    const failingTo = Date.now()
    const afterwards = seen.requests
    await until('20 more requests answered', () => seen.requests >= afterwards + 20)
    const result = await load.stop()
    expect(result.non2xx).toBe(failed.length)
    expect(result.outageWindows).toHaveLength(1)
    // At least the span in which the server failed, at most the time it was told to fail plus the
    // trips of the first and last failed request.
    // (Date.now() on both sides: a millisecond of granularity each.)
    expect(result.outageMs).toBeGreaterThanOrEqual(failed.at(-1)! - failed[0]! - 2)
    expect(result.outageMs).toBeLessThanOrEqual(failingTo - failingFrom + 2 * result.latency.maxMs)
  }, 60_000)
})

test('a request unanswered for requestTimeoutMs counts as a timeout error, and its whole wait as outage', async () => {
  const { url, seen } = await serve(() => undefined)
  const load = startHttpLoad({ url, connections: 1, connectionPerRequest: true, requestTimeoutMs: 100 })
  await until('the fourth request arrived (three timed out)', () => seen.requests >= 4)
  const result = await load.stop()
  expect(result.errorCauses).toEqual({ timeout: result.errors })
  expect(result.errors).toBeGreaterThanOrEqual(3)
  // Each timed-out request waited at least its 100 ms; one connection, so they never overlap.
  expect(result.outageMs).toBeGreaterThanOrEqual(result.errors * 100)
}, 60_000)

describe('a stalled machine is not a stalled Service', () => {
  test('the load records when its own process stalled: a 700 ms block of the event loop is one stall window', async () => {
    const { url, seen } = await serve((response) => response.end('ok'))
    const load = startHttpLoad({ url, connections: 1, connectionPerRequest: true })
    await until('some requests answered', () => seen.requests >= 5)
    const blockedFrom = Date.now()
    while (Date.now() - blockedFrom < 700) {
      // what a starved process looks like from inside: its timers cannot run
    }
    const blockedTo = Date.now()
    await until('answered again', () => seen.requests >= 10)
    const result = await load.stop()
    expect(result.stallWindows).toHaveLength(1)
    const [stall] = result.stallWindows
    expect(stall!.to - stall!.from).toBeGreaterThanOrEqual(STALL_MS)
    expect(stall!.from).toBeLessThanOrEqual(blockedTo)
    expect(stall!.to).toBeGreaterThanOrEqual(blockedTo)
  })

  test('only a timeout inside a stall is excused; a refusal, an HTTP error or a timeout outside any stall is the Service\'s', () => {
    const stallWindows = [{ from: 1000, to: 1600 }]
    const failures = [
      { from: 500, to: 2500, cause: 'timeout' }, // spans the stall: excused
      { from: 1100, to: 1200, cause: 'ECONNREFUSED' }, // inside it, but a refusal is an answer
      { from: 1200, to: 1300, cause: 'HTTP 503' },
      { from: 3000, to: 5000, cause: 'timeout' }, // no stall then
    ]
    expect(failuresOfTheService({ failures, stallWindows }).map((f) => f.cause)).toEqual(['ECONNREFUSED', 'HTTP 503', 'timeout'])
    expect(failuresOfTheService({ failures: failures.slice(0, 1), stallWindows })).toEqual([])
    expect(failuresOfTheService({ failures: failures.slice(0, 1), stallWindows: [] })).toHaveLength(1)
  })
})

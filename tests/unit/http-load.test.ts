// The HTTP load drivers against a server on 127.0.0.1 that this test starts: counts, latencies,
// failures and outage windows as a scenario would read them.
import { createServer, type Server, type ServerResponse } from 'node:http'
import { afterEach, describe, expect, test } from 'vitest'
import { startHttpLoad } from '../../lib/load.js'

let server: Server | undefined
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())))

async function serve(answer: (response: ServerResponse) => void): Promise<string> {
  server = createServer((_request, response) => answer(response))
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as { port: number }).port}/`
}

const runFor = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe.each([
  ['one connection per request', true],
  ['keep-alive connections (autocannon)', false],
])('HTTP load, %s', (_name, connectionPerRequest) => {
  test('a healthy server: every request answered, latencies of a local server, no outage', async () => {
    const url = await serve((response) => response.end('ok'))
    const load = startHttpLoad({ url, connections: 2, connectionPerRequest, sampleIntervalMs: 100 })
    await runFor(600)
    const result = await load.stop()
    expect(result.requests).toBeGreaterThan(20)
    expect({ errors: result.errors, non2xx: result.non2xx, outageMs: result.outageMs }).toEqual({ errors: 0, non2xx: 0, outageMs: 0 })
    // Steady latencies: a queued request's age must not leak into the next response's time.
    expect(result.latency.p50Ms).toBeLessThan(100)
    expect(result.samples.reduce((sum, s) => sum + s.requests, 0)).toBe(result.requests)
  })

  test('a failing window: non-2xx answers are counted and form one outage window', async () => {
    let failing = false
    const url = await serve((response) => {
      response.statusCode = failing ? 503 : 200
      response.end()
    })
    const load = startHttpLoad({ url, connections: 2, connectionPerRequest })
    await runFor(200)
    failing = true
    await runFor(300)
    failing = false
    await runFor(200)
    const result = await load.stop()
    expect(result.non2xx).toBeGreaterThan(0)
    expect(result.outageWindows).toHaveLength(1)
    expect(result.outageMs).toBeGreaterThan(150)
    expect(result.outageMs).toBeLessThan(1000)
  })
})

test('a request unanswered for requestTimeoutMs counts as a timeout error', async () => {
  const url = await serve(() => undefined)
  const load = startHttpLoad({ url, connections: 1, connectionPerRequest: true, requestTimeoutMs: 100 })
  await runFor(450)
  const result = await load.stop()
  expect(result.errorCauses).toEqual({ timeout: result.errors })
  expect(result.errors).toBeGreaterThanOrEqual(3)
  expect(result.outageMs).toBeGreaterThan(300)
})

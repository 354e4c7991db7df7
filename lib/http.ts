// HTTP probes from the test process (to 127.0.0.1 mapped ports and port-forwards only). HTTP
// has no watch: waiting on a response is a bounded retry with a short pause, and the timeout
// error shows the last response or failure.

export interface HttpResponse {
  status: number
  body: string
  headers: Record<string, string>
}

export const DEFAULT_HTTP_TIMEOUT_MS = 5_000

/** One GET; throws on network errors and timeouts, returns any HTTP status. */
export async function httpGet(url: string, options: { headers?: Record<string, string>; timeoutMs?: number } = {}): Promise<HttpResponse> {
  const response = await fetch(url, { headers: options.headers, signal: AbortSignal.timeout(options.timeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS) })
  return { status: response.status, body: await response.text(), headers: Object.fromEntries(response.headers) }
}

/**
 * Repeats a GET until the response satisfies `accept`, or fails after timeoutMs showing the last
 * outcome. For endpoints that converge (a Service after a rollout, an Ingress being programmed).
 */
export async function waitForHttp(
  url: string,
  accept: (response: HttpResponse) => boolean,
  options: { description: string; headers?: Record<string, string>; timeoutMs?: number; retryMs?: number },
): Promise<HttpResponse> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000)
  let last = 'no request completed'
  while (Date.now() < deadline) {
    try {
      const response = await httpGet(url, { headers: options.headers })
      if (accept(response)) return response
      last = `HTTP ${response.status}: ${response.body.slice(0, 300)}`
    } catch (error) {
      last = `request failed: ${(error as Error).message}`
    }
    await new Promise((r) => setTimeout(r, options.retryMs ?? 500))
  }
  throw new Error(`timed out waiting until ${options.description} (${url}); last: ${last}`)
}

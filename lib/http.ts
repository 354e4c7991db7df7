// HTTP probes from the test process (to 127.0.0.1 mapped ports and port-forwards only).
import { retryUntil } from './wait.js'

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
 * Repeats a GET until the response satisfies `accept` (HTTP has no watch), or fails after
 * timeoutMs showing the last response. For endpoints that converge: a Service after a rollout,
 * an Ingress being programmed.
 */
export async function waitForHttp(
  url: string,
  accept: (response: HttpResponse) => boolean,
  options: { description: string; headers?: Record<string, string>; timeoutMs?: number; retryMs?: number },
): Promise<HttpResponse> {
  return retryUntil(
    async () => {
      const response = await httpGet(url, { headers: options.headers })
      return accept(response) ? { value: response } : { reason: `HTTP ${response.status}: ${response.body.slice(0, 300)}` }
    },
    { ...options, description: `${options.description} (${url})` },
  )
}

// HTTP probes from the test process, to what a run published (its mapped ports, at
// KUBE_SCENARIOS_PUBLISH_ADDRESS) or forwarded (port-forwards on 127.0.0.1).
import http from 'node:http'
import { runSettings } from '../config/settings.js'
import { retryUntil } from '../observe/retry.js'

export interface HttpResponse {
  status: number
  body: string
  headers: Record<string, string>
}

/**
 * One GET; throws on network errors and timeouts, returns any HTTP status. Built on node:http
 * rather than fetch, which silently drops a Host header (Ingress routing needs it). `timeoutMs`
 * defaults to the `http` timeout.
 */
export function httpGet(url: string, options: { headers?: Record<string, string>; timeoutMs?: number } = {}): Promise<HttpResponse> {
  const timeoutMs = options.timeoutMs ?? runSettings().timeouts.http
  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers: options.headers, timeout: timeoutMs }, (response) => {
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          body: Buffer.concat(chunks).toString('utf8'),
          headers: Object.fromEntries(Object.entries(response.headers).map(([k, v]) => [k, String(v)])),
        }),
      )
      response.on('error', reject)
    })
    request.on('timeout', () => request.destroy(new Error(`GET ${url}: no response within ${timeoutMs} ms`)))
    request.on('error', reject)
  })
}

/**
 * Repeats a GET until the response satisfies `accept` (HTTP has no watch), or fails after
 * timeoutMs showing the last response. For endpoints that converge: a NodePort kube-proxy has
 * yet to program, a Service after a rollout, an Ingress being programmed.
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

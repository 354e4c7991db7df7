// Doing things to pods: delete, exec, read logs, forward a local port.
import * as k8s from '@kubernetes/client-node'
import net from 'node:net'
import { PassThrough, Writable } from 'node:stream'
import type { Clients } from '../api/client.js'
import { runSettings } from '../config/settings.js'
import { retryUntil, type RetryOptions } from '../observe/retry.js'

export interface PodRef {
  namespace: string
  name: string
}

/** Deletes a pod and returns the UID it had, so a replacement can be told apart. */
export async function deletePod(clients: Clients, pod: PodRef, gracePeriodSeconds?: number): Promise<string> {
  const current = await clients.core.readNamespacedPod(pod)
  await clients.core.deleteNamespacedPod({ ...pod, gracePeriodSeconds })
  return current.metadata!.uid!
}

export interface ExecResult {
  stdout: string
  stderr: string
  exitCode: number
}

/** Runs a command in a pod's container and returns its output and exit code; `timeoutMs` defaults to the `exec` timeout. */
export async function exec(
  clients: Clients,
  pod: PodRef & { container?: string },
  command: string[],
  options: { timeoutMs?: number } = {},
): Promise<ExecResult> {
  const container = pod.container ?? (await clients.core.readNamespacedPod(pod)).spec!.containers[0]!.name
  let stdout = ''
  let stderr = ''
  const collect = (append: (s: string) => void) =>
    new Writable({
      write(chunk, _encoding, done) {
        append(String(chunk))
        done()
      },
    })
  const timeoutMs = options.timeoutMs ?? runSettings().timeouts.exec
  return new Promise<ExecResult>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`exec ${JSON.stringify(command)} in ${pod.namespace}/${pod.name} did not finish within ${timeoutMs} ms; output so far: ${stdout}${stderr}`)), timeoutMs)
    new k8s.Exec(clients.kubeConfig)
      .exec(pod.namespace, pod.name, container, command, collect((s) => (stdout += s)), collect((s) => (stderr += s)), null, false, (status) => {
        clearTimeout(timer)
        resolve({ stdout, stderr, exitCode: exitCodeOf(status) })
      })
      .catch((error) => {
        clearTimeout(timer)
        reject(error)
      })
  })
}

function exitCodeOf(status: k8s.V1Status): number {
  if (status.status === 'Success') return 0
  const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode')
  return cause ? Number(cause.message) : 1
}

/** The logs of a pod's container (the first one unless named). */
export async function logs(clients: Clients, pod: PodRef & { container?: string }, options: { tailLines?: number; previous?: boolean } = {}): Promise<string> {
  return String(await clients.core.readNamespacedPodLog({ ...pod, ...options }))
}

export interface PortForward {
  /** Local port on 127.0.0.1. */
  localPort: number
  url: string
  /** Stops listening and closes open connections; the port is free afterwards. */
  close(): Promise<void>
}

/**
 * Forwards a local port on 127.0.0.1 to a pod's port (`kubectl port-forward`). Each local
 * connection gets its own stream through the API server.
 */
export function portForward(clients: Clients, pod: PodRef, remotePort: number, localPort = 0): Promise<PortForward> {
  return forwardConnections(clients, async () => ({ pod, port: remotePort }), localPort)
}

/**
 * A URL on 127.0.0.1 for a Service of any type (`kubectl port-forward svc/NAME PORT`): each
 * connection goes to an endpoint that is ready when it opens, so the URL outlives a rollout.
 * Fixtures then need no fixed nodePort. A connection made while no endpoint is ready is closed at
 * once (an HTTP wait sees a refused request and tries again).
 */
export async function servicePortForward(clients: Clients, service: PodRef, port: number): Promise<PortForward> {
  const { spec } = await clients.core.readNamespacedService(service)
  const servicePort = spec?.ports?.find((p) => p.port === port)
  if (!servicePort) {
    const ports = (spec?.ports ?? []).map((p) => `${p.port}${p.name ? `/${p.name}` : ''}`).join(', ') || 'none'
    throw new Error(`Service ${service.namespace}/${service.name} has no port ${port} (its ports: ${ports})`)
  }
  let next = 0
  return forwardConnections(clients, async () => {
    const { items } = await clients.discovery.listNamespacedEndpointSlice({ namespace: service.namespace, labelSelector: `kubernetes.io/service-name=${service.name}` })
    const targets = items.flatMap((slice) => {
      const slicePort = slice.ports?.find((p) => (p.name ?? '') === (servicePort.name ?? ''))?.port
      if (slicePort === undefined) return []
      return (slice.endpoints ?? [])
        .filter((e) => e.conditions?.ready !== false && e.targetRef?.kind === 'Pod' && e.targetRef.name)
        .map((e) => ({ pod: { namespace: service.namespace, name: e.targetRef!.name! }, port: slicePort }))
    })
    // Spread over the ready endpoints, as the Service would.
    return targets.length ? targets[next++ % targets.length] : undefined
  })
}

/** A local server whose every connection is streamed to the pod port `target` names at that moment. */
async function forwardConnections(clients: Clients, target: () => Promise<{ pod: PodRef; port: number } | undefined>, localPort = 0): Promise<PortForward> {
  const forwarder = new k8s.PortForward(clients.kubeConfig)
  const sockets = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    const errors = new PassThrough()
    errors.resume()
    target()
      .then((to) => {
        if (!to) return void socket.destroy()
        return forwarder.portForward(to.pod.namespace, to.pod.name, [to.port], socket, errors, socket).then((ws) => {
          const close = () => {
            const stream = typeof ws === 'function' ? ws() : ws
            stream?.close()
          }
          socket.on('close', close)
        })
      })
      .catch(() => socket.destroy())
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(localPort, '127.0.0.1', resolve)
  })
  const port = (server.address() as net.AddressInfo).port
  return {
    localPort: port,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}

/** How a GET made from inside a pod ended. */
export type PodFetchOutcome = 'ok' | 'http-error' | 'timeout' | 'refused' | 'unreachable' | 'dns' | 'failed'

export interface PodFetch {
  outcome: PodFetchOutcome
  /** The response body (empty unless the server answered). */
  body: string
  /** wget's error message, or the exit code when it printed none. */
  message: string
}

/**
 * GETs a URL from inside a pod with busybox `wget` (present in the nginx, busybox and httpd
 * images), for claims about in-cluster reachability: pod to pod, pod to Service, NetworkPolicy.
 * Connection and transfer are bounded by `timeoutSeconds` (default: the `podFetch` timeout, in
 * whole seconds as wget takes it); the exec around it by that plus the `exec` timeout.
 */
export async function fetchFromPod(clients: Clients, pod: PodRef & { container?: string }, url: string, options: { timeoutSeconds?: number } = {}): Promise<PodFetch> {
  const { timeouts } = runSettings()
  const seconds = options.timeoutSeconds ?? Math.max(1, Math.round(timeouts.podFetch / 1000))
  const result = await exec(clients, pod, ['wget', '-T', String(seconds), '-q', '-O-', url], { timeoutMs: seconds * 1000 + timeouts.exec })
  return wgetOutcome(result)
}

// busybox wget's messages (libbb perror texts) for each way a request fails.
const WGET_FAILURES: Array<[PodFetchOutcome, RegExp]> = [
  ['timeout', /download timed out|Connection timed out/],
  ['refused', /Connection refused/],
  ['unreachable', /No route to host|Network is unreachable|Host is unreachable/],
  ['dns', /bad address/],
  ['http-error', /server returned error/],
]

/** Classifies a busybox `wget -q -O- URL` run; pure, so a DNS failure is never mistaken for a block. */
export function wgetOutcome(result: ExecResult): PodFetch {
  const message = result.stderr.trim() || `exit code ${result.exitCode}`
  if (result.exitCode === 0) return { outcome: 'ok', body: result.stdout, message: '' }
  const outcome = WGET_FAILURES.find(([, pattern]) => pattern.test(result.stderr))?.[0] ?? 'failed'
  return { outcome, body: result.stdout, message }
}

/**
 * Re-reads a container's logs until `accept` holds; returns them. Logs have no watch: this is a
 * bounded retry whose timeout error shows the end of the last logs (or the last read failure).
 */
export function waitForLogs(clients: Clients, pod: PodRef & { container?: string }, accept: (logs: string) => boolean, options: RetryOptions): Promise<string> {
  return retryUntil(async () => {
    const text = await logs(clients, pod)
    return accept(text) ? { value: text } : { reason: `logs of ${pod.namespace}/${pod.name} end with: ${text.slice(-300)}` }
  }, options)
}

/**
 * Repeats fetchFromPod until `accept` holds; returns that fetch. For reachability that
 * converges: a Service being programmed, a NetworkPolicy being enforced.
 */
export function waitForFetchFromPod(
  clients: Clients,
  pod: PodRef & { container?: string },
  url: string,
  accept: (fetch: PodFetch) => boolean,
  options: RetryOptions & { timeoutSeconds?: number },
): Promise<PodFetch> {
  return retryUntil(async () => {
    const f = await fetchFromPod(clients, pod, url, options)
    const seen = `${f.outcome}${f.message ? ` (${f.message})` : ''}${f.body ? `: ${f.body.slice(0, 200)}` : ''}`
    return accept(f) ? { value: f } : { reason: `GET ${url} from ${pod.namespace}/${pod.name}: ${seen}` }
  }, options)
}

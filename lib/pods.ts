// Doing things to pods: delete, exec, read logs, forward a local port.
import * as k8s from '@kubernetes/client-node'
import net from 'node:net'
import { PassThrough, Writable } from 'node:stream'
import type { Clients } from './api.js'

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

export const DEFAULT_EXEC_TIMEOUT_MS = 30_000

/** Runs a command in a pod's container and returns its output and exit code. */
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
  const timeoutMs = options.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS
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
export async function portForward(clients: Clients, pod: PodRef, remotePort: number, localPort = 0): Promise<PortForward> {
  const forwarder = new k8s.PortForward(clients.kubeConfig)
  const sockets = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    const errors = new PassThrough()
    errors.resume()
    forwarder.portForward(pod.namespace, pod.name, [remotePort], socket, errors, socket).then(
      (ws) => {
        const close = () => {
          const target = typeof ws === 'function' ? ws() : ws
          target?.close()
        }
        socket.on('close', close)
      },
      () => socket.destroy(),
    )
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

// The contract every cluster provider fulfils: start a cluster for one run, describe it in a
// serialisable form (it crosses from vitest's globalSetup into the test workers), grow it, stop it.
import { connect, isIP } from 'node:net'
import type { GenericContainer } from 'testcontainers'
import type { ImageLoad } from './images.js'

export type ProviderName = 'k3s' | 'local' | 'kubeconfig'
export const PROVIDER_NAMES: readonly ProviderName[] = ['k3s', 'local', 'kubeconfig']

// Fixed NodePorts every provider publishes on this machine (127.0.0.1 unless
// KUBE_SCENARIOS_PUBLISH_ADDRESS says otherwise, so scenarios reach them from the test process), the local cluster's Ingress NodePort, the labels on everything a run creates and its
// network's name: one definition for the build, the providers, the reaper and `clean`.
import { MAPPED_NODE_PORTS } from '#images/lib/cluster-constants.mjs'
import { runSettings, type RunSettings } from '../config/settings.js'
export { INGRESS_NODE_PORT, MANAGED_LABEL, MAPPED_NODE_PORTS, NODE_LABEL, RUN_LABEL, runNetworkName } from '#images/lib/cluster-constants.mjs'

export interface ClusterRequest {
  runId: string
  settings: RunSettings
  /** Nodes to start with (a provider may serve more). */
  nodes: number
  /** Where a provider says what a node start is doing (phase lines). */
  log?: (line: string) => void
}

/** What test files know about the run's cluster (plain data: it is passed with provide/inject). */
export interface ClusterInfo {
  provider: ProviderName
  runId: string
  kubeconfig: string
  kubernetesVersion: string
  /** Upstream image reference -> reference this cluster can run (empty where images are pulled). */
  imageOverrides: Record<string, string>
  /** NodePort -> URL reachable from the test process. */
  nodePortUrls: Record<string, string>
  /** URL of the Ingress controller's HTTP entry, reachable from the test process. */
  ingressUrl?: string
  /** Where test workers ask the run's process to grow the cluster (see cluster/control.ts). */
  controlUrl?: string
  /**
   * The command that runs this cluster's own kubectl, when the provider has one: the binary the
   * offline build compiled, or `docker exec <k3s server> kubectl` (which needs no kubeconfig).
   */
  kubectl?: { command: string[]; needsKubeconfig: boolean }
}

/** Why a provider can or cannot serve on this machine (for `auto` and for error messages). */
export interface ProviderProbe {
  ok: boolean
  reason: string
  /** It can serve only after downloading its images (auto prefers a provider that need not). */
  pulls?: boolean
}

export interface ClusterProvider {
  readonly name: ProviderName
  probe(settings: RunSettings): Promise<ProviderProbe>
  start(request: ClusterRequest): Promise<RunningCluster>
}

export interface RunningCluster {
  readonly info: ClusterInfo
  /** Starts one more node, joins it and returns its name once the API lists it. */
  addNode(): Promise<string>
  /** Number of nodes this cluster started. */
  nodeCount(): number
  /**
   * Puts images of the host's Docker into every node, and into every node added later; an image
   * already loaded (same id) is not loaded again. `log` gets a line per image and node.
   */
  loadImages(images: readonly string[], log?: (line: string) => void): Promise<ImageLoad[]>
  /** The references loaded into its nodes so far (by loadImages, here or through the holding process). */
  loadedImages(): Promise<string[]>
  /** Stops everything this provider created (and nothing else). */
  stop(): Promise<void>
}


// testcontainers has no API for a binding's host address or a cgroup namespace: these two are the
// only places that write its (private) Docker host config, which Docker honours.
type HostConfig = { PortBindings?: Record<string, Array<{ HostIp?: string; HostPort?: string }>>; CgroupnsMode?: 'host' | 'private' }
export function hostConfigOf(container: GenericContainer): HostConfig {
  const hostConfig = (container as unknown as { hostConfig?: HostConfig }).hostConfig
  if (!hostConfig) throw new Error('testcontainers keeps no hostConfig on its containers any more (an upgrade moved it): lib/cluster/provider.ts must follow it')
  return hostConfig
}

/** Makes every port the container publishes listen on `address` only (call after withExposedPorts). */
export function publishedOn<T extends GenericContainer>(container: T, address: string): T {
  for (const bindings of Object.values(hostConfigOf(container).PortBindings ?? {})) for (const binding of bindings) binding.HostIp = address
  return container
}

/** The container's cgroup namespace: the host's, or a private one. */
export function withCgroupNamespace<T extends GenericContainer>(container: T, mode: 'host' | 'private'): T {
  hostConfigOf(container).CgroupnsMode = mode
  return container
}

/** An error's first line: what a one-line refusal or log entry shows of it. */
export function firstLine(error: unknown): string {
  return String((error as Error)?.message ?? error).split('\n')[0]!
}

/** Raised when a provider is asked for something its kind of cluster cannot do. */
export class UnsupportedByProviderError extends Error {
  constructor(provider: ProviderName, what: string, hint: string) {
    super(`the ${provider} cluster provider cannot ${what}: ${hint}`)
    this.name = 'UnsupportedByProviderError'
  }
}

/** The Ingress controller's URL, or a clear refusal where the provider knows none. */
export function ingressUrlOf(cluster: ClusterInfo): string {
  if (cluster.ingressUrl) return cluster.ingressUrl
  throw new UnsupportedByProviderError(cluster.provider, 'tell where its Ingress controller answers', 'set KUBE_SCENARIOS_INGRESS_URL to its HTTP entry')
}

/** The URL a NodePort answers at from the test process, or a clear refusal where none is known. */
export function nodePortUrlOf(cluster: ClusterInfo, port: number): string {
  const url = cluster.nodePortUrls[String(port)]
  if (url) return url
  const mapped = (MAPPED_NODE_PORTS as readonly number[]).includes(port)
  throw new UnsupportedByProviderError(
    cluster.provider,
    `reach NodePort ${port}`,
    mapped ? 'it found no node address to reach NodePorts at (a held `kube-scenarios up` cluster publishes them)' : `only NodePorts ${MAPPED_NODE_PORTS[0]}-${MAPPED_NODE_PORTS.at(-1)} are published; use one of them`,
  )
}

/**
 * The address to reach a container's published ports at. testcontainers answers "localhost" for a
 * local engine (which may resolve to ::1 first; ports publish on 127.0.0.1) and the bridge gateway
 * whenever /.dockerenv exists, also on machines built from a container image where the engine is
 * local and loopback answers. Loopback wins whenever it accepts a connection on the published port.
 */
export async function reachableHost(testcontainersHost: string, publishedPort: number): Promise<string> {
  if (testcontainersHost === 'localhost' || testcontainersHost === LOOPBACK) return LOOPBACK
  return (await acceptsConnections(LOOPBACK, publishedPort)) ? LOOPBACK : testcontainersHost
}

const LOOPBACK = '127.0.0.1'

/** Whether `host` takes a TCP connection on `port` within the `request` timeout. */
function acceptsConnections(host: string, port: number, timeoutMs = runSettings().timeouts.request): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs })
    const settle = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.once('connect', () => settle(true))
    socket.once('timeout', () => settle(false))
    socket.once('error', () => settle(false))
  })
}

/** A subjectAltName entry for a host name or IPv4/IPv6 address (openssl's syntax). */
export function subjectAltName(host: string): string {
  return `${isIP(host) ? 'IP' : 'DNS'}:${host}`
}

/** The add-ons a cluster is not ready without: scenarios resolve names and use the Ingress from their first step. */
export const ADDONS_NEEDED_AT_ONCE = [
  ['kube-system', 'coredns'],
  ['kube-system', 'traefik'],
] as const

/** A node container's kubeconfig pointed at the published API port on the reachable host. */
export function kubeconfigForHost(kubeconfig: string, host: string, port: number): string {
  return kubeconfig.replace(/server:\s*"?https:\/\/[^\s"]+"?/, `server: https://${host}:${port}`)
}

/** What both node providers (k3s, local) build a cluster of: a server first, then nodes one at a time. */
export interface NodeCluster extends RunningCluster {
  startServer(): Promise<void>
}

/** Starts the server and nodes up to `nodes`; a failure removes everything started, network included. */
export async function startNodes<T extends NodeCluster>(cluster: T, nodes: number): Promise<T> {
  try {
    await cluster.startServer()
    while (cluster.nodeCount() < nodes) await cluster.addNode()
  } catch (error) {
    await cluster.stop().catch(() => undefined)
    throw error
  }
  return cluster
}

/** A started node cluster's server container: what its info is read from. */
interface PublishingServer {
  getMappedPort(port: number): number
}

/** The info both node providers give, from their started server (published at `host`); the rest (Ingress, kubectl) is each provider's. */
export function nodeClusterInfo<S extends PublishingServer>(
  server: S | undefined,
  base: Pick<ClusterInfo, 'provider' | 'runId' | 'kubeconfig' | 'kubernetesVersion' | 'imageOverrides'> & { host: string },
  rest: (server: S, nodePortUrls: Record<string, string>) => Pick<ClusterInfo, 'ingressUrl' | 'kubectl'>,
): ClusterInfo {
  if (!server) throw new Error(`the ${base.provider} cluster has not started`)
  const { host, ...info } = base
  const nodePortUrls = Object.fromEntries(MAPPED_NODE_PORTS.map((port) => [String(port), `http://${host}:${server.getMappedPort(port)}`]))
  return { ...info, nodePortUrls, ...rest(server, nodePortUrls) }
}

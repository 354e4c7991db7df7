// k3s in Docker through @testcontainers/k3s: the default where Docker can pull rancher/k3s.
// Server and agents are node containers with the same settings, attached only to the run's
// network (no alias: an alias makes testcontainers start a container on Docker's default bridge
// first, and k3s would advertise that address). Agents join by the server's address there.
import { K3sContainer } from '@testcontainers/k3s'
import { GenericContainer, ImageName, Network, Wait, getContainerRuntimeClient, type StartedNetwork, type StartedTestContainer } from 'testcontainers'
import { createClients } from '../api/client.js'
import { deploymentRolledOut, nodesReady } from '../workloads/conditions.js'
import { waitFor } from '../observe/wait.js'
import { nodeClusterInfo, ADDONS_NEEDED_AT_ONCE, MAPPED_NODE_PORTS, MANAGED_LABEL, kubeconfigForHost, startNodes, type NodeCluster, NODE_LABEL, RUN_LABEL, firstLine, publishedOn, reachableHost, withCgroupNamespace, runNetworkName, type ClusterInfo, type ClusterProvider, type ClusterRequest, type RunningCluster } from './provider.js'
import { DEFAULT_PUBLISH_ADDRESS, DEFAULT_TIMEOUTS, type Timeouts } from '../config/settings.js'
import { K3S_NODE_RUNTIME, LoadedImages } from './images.js'

/** Where Traefik, k3s's Ingress controller, listens inside the server node. */
const TRAEFIK_HTTP_PORT = 80
const K3S_API_PORT = 6443
const SERVER_NAME = 'k3s-server'
/** Add-ons the scenarios use from their first step: DNS and the Ingress controller (Traefik). */

/**
 * The Kubernetes version a k3s image tag names ("rancher/k3s:v1.37.2-k3s1" -> "v1.37.2+k3s1",
 * as the API reports it); undefined for a digest or a tag that names no version. A registry's
 * port is not a tag.
 */
export function versionOfK3sImage(ref: string): string | undefined {
  const name = ref.split('@')[0]!
  const colon = name.lastIndexOf(':')
  if (colon < name.lastIndexOf('/') + 1 || ref.includes('@')) return undefined
  return /^v\d+\.\d+\.\d+([-+]k3s\d+)?$/.test(name.slice(colon + 1)) ? name.slice(colon + 1).replace(/-(k3s\d+)$/, '+$1') : undefined
}

/** Where a node container goes and what it carries. */
export interface K3sNodeSettings {
  network: StartedNetwork
  labels: Record<string, string>
  /** Where the server's published ports listen (default loopback). */
  publishAddress?: string
  timeouts?: Pick<Timeouts, 'nodeStart' | 'clusterReady'>
}

/**
 * The settings every k3s node needs, the same for server and agents: privileged, the host's
 * cgroup namespace with its cgroup tree (what K3sContainer does for the server; a private
 * namespace with the host's tree bound in breaks runc on cgroup v2 hosts), tmpfs for /run.
 */
export function asK3sNode<T extends GenericContainer>(container: T, { network, labels, timeouts = DEFAULT_TIMEOUTS }: K3sNodeSettings): T {
  return withCgroupNamespace(container, 'host')
    .withPrivilegedMode()
    .withBindMounts([{ source: '/sys/fs/cgroup', target: '/sys/fs/cgroup' }])
    .withTmpFs({ '/run': 'rw', '/var/run': 'rw' })
    .withNetwork(network)
    .withLabels(labels)
    .withStartupTimeout(timeouts.nodeStart)
}

/** The unstarted server: Traefik stays enabled (k3s's default); extra names for its certificate. */
export function k3sServerContainer(image: string, settings: K3sNodeSettings, tlsSans: string[]): K3sContainer {
  const server = asK3sNode(new K3sContainer(image), settings)
    .withLabels({ [NODE_LABEL]: SERVER_NAME })
    .withCommand(['server', `--node-name=${SERVER_NAME}`, ...tlsSans.map((san) => `--tls-san=${san}`)])
    .withExposedPorts(K3S_API_PORT, ...MAPPED_NODE_PORTS, TRAEFIK_HTTP_PORT)
  return publishedOn(server, settings.publishAddress ?? DEFAULT_PUBLISH_ADDRESS)
}

/** The unstarted agent `name`, joining the server at `serverUrl` (its address on the run network). */
export function k3sAgentContainer(image: string, settings: K3sNodeSettings, join: { name: string; serverUrl: string; token: string }): GenericContainer {
  return asK3sNode(new GenericContainer(image), settings)
    .withLabels({ [NODE_LABEL]: join.name })
    .withEnvironment({ K3S_URL: join.serverUrl, K3S_TOKEN: join.token })
    .withCommand(['agent', `--node-name=${join.name}`])
    .withWaitStrategy(Wait.forLogMessage('Successfully registered node'))
}

export const k3sProvider: ClusterProvider = {
  name: 'k3s',
  async probe(settings) {
    const image = settings.k3sImage
    let client: Awaited<ReturnType<typeof getContainerRuntimeClient>>
    try {
      client = await getContainerRuntimeClient()
    } catch (error) {
      return { ok: false, reason: `no Docker engine answers (${firstLine(error)})` }
    }
    if (await client.image.exists(ImageName.fromString(image))) return { ok: true, reason: `${image} is present` }
    // The daemon resolves the image's manifest the way a pull would (mirrors, credentials).
    try {
      await client.container.dockerode.getImage(image).distribution()
      return { ok: true, pulls: true, reason: `${image} will be pulled` }
    } catch (error) {
      return { ok: false, reason: `${image} is not here and Docker cannot pull it: ${firstLine(error).replace(/^\(HTTP code \d+\) [\w ]+ - /, '').trim()}` }
    }
  },
  async start(request: ClusterRequest): Promise<RunningCluster> {
    const labels = { [RUN_LABEL]: request.runId, [MANAGED_LABEL]: 'true' }
    const network = await new Network({ nextUuid: () => runNetworkName(request.runId) }).start()
    const { publishAddress, timeouts } = request.settings
    const cluster = new K3sCluster(request.runId, { network, labels, publishAddress, timeouts }, request.log ?? (() => undefined), request.settings.k3sImage, liveDependencies(timeouts))
    return startNodes(cluster, request.nodes)
  },
}


/** What the cluster asks Docker and its API (a seam for unit tests). */
export interface K3sDependencies {
  /** The address testcontainers reaches containers at. */
  engineHost(): Promise<string>
  nodeReady(kubeconfig: string, count: number): Promise<void>
  addonsReady(kubeconfig: string): Promise<void>
}

const liveDependencies = (timeouts: Pick<Timeouts, 'clusterReady'>): K3sDependencies => ({
  async engineHost() {
    return (await getContainerRuntimeClient()).info.containerRuntime.host
  },
  async nodeReady(kubeconfig, count) {
    await waitFor(createClients(kubeconfig), nodesReady(count), { timeoutMs: timeouts.clusterReady })
  },
  async addonsReady(kubeconfig) {
    const clients = createClients(kubeconfig)
    for (const [namespace, name] of ADDONS_NEEDED_AT_ONCE) await waitFor(clients, deploymentRolledOut(namespace, name), { timeoutMs: timeouts.clusterReady })
  },
})

export class K3sCluster implements NodeCluster {
  private server?: StartedTestContainer
  private readonly agents: StartedTestContainer[] = []
  /** Where the server's published ports answer (see reachableHost). */
  private host = ''
  private kubeconfig = ''
  private token = ''
  private version = ''
  /** Every agent start gets a new node name: k3s refuses a name whose node password it has seen. */
  private agentAttempts = 0
  private readonly images = new LoadedImages(K3S_NODE_RUNTIME)
  private readonly agentNames: string[] = []

  constructor(
    private readonly runId: string,
    private readonly settings: K3sNodeSettings,
    private readonly log: (line: string) => void,
    private readonly image: string,
    private readonly dependencies: K3sDependencies,
  ) {}

  async startServer(): Promise<void> {
    // The certificate also names the address testcontainers reaches containers at, in case
    // loopback does not answer (a harness inside a container talking to the host's engine).
    const engineHost = await this.dependencies.engineHost()
    const started = Date.now()
    this.log(`node ${SERVER_NAME}: starting ${this.image}`)
    const server = await k3sServerContainer(this.image, this.settings, [engineHost]).start()
    this.server = server
    this.host = await reachableHost(server.getHost(), server.getMappedPort(K3S_API_PORT))
    this.kubeconfig = kubeconfigForHost(server.getKubeConfig(), this.host, server.getMappedPort(K3S_API_PORT))
    this.token = (await server.exec(['cat', '/var/lib/rancher/k3s/server/node-token'])).output.trim()
    this.log(`node ${SERVER_NAME}: API up (${seconds(started)})`)
    await this.dependencies.nodeReady(this.kubeconfig, 1)
    this.log(`node ${SERVER_NAME}: Ready; waiting for CoreDNS and Traefik (${seconds(started)})`)
    await this.dependencies.addonsReady(this.kubeconfig)
    // The version asked for (the tag), which the smoke test then checks the nodes run; a digest
    // names none, so the API's answer stands in.
    this.version = versionOfK3sImage(this.image) ?? (await createClients(this.kubeconfig).raw.request<{ gitVersion: string }>('GET', '/version')).gitVersion
    this.log(`node ${SERVER_NAME}: add-ons ready (${seconds(started)})`)
  }

  get info(): ClusterInfo {
    const base = { provider: 'k3s' as const, runId: this.runId, kubeconfig: this.kubeconfig, kubernetesVersion: this.version, imageOverrides: {}, host: this.host }
    return nodeClusterInfo(this.server, base, (server) => ({
      ingressUrl: `http://${this.host}:${server.getMappedPort(TRAEFIK_HTTP_PORT)}`,
      // k3s ships kubectl; inside the server it reads the cluster's own admin kubeconfig.
      kubectl: { command: ['docker', 'exec', server.getId(), 'kubectl'], needsKubeconfig: false },
    }))
  }

  nodeCount(): number {
    return (this.server ? 1 : 0) + this.agents.length
  }

  /** Starts an agent and returns its name once its Node is Ready (registered is not enough). */
  async addNode(): Promise<string> {
    const server = this.server
    if (!server) throw new Error('the k3s cluster has not started')
    const name = `k3s-agent-${++this.agentAttempts}`
    const serverUrl = `https://${server.getIpAddress(this.settings.network.getName())}:${K3S_API_PORT}`
    const started = Date.now()
    this.log(`node ${name}: joining ${serverUrl}`)
    // Images loaded so far: k3s imports its images folder when its containerd starts.
    const agent = await k3sAgentContainer(this.image, this.settings, { name, serverUrl, token: this.token }).withCopyFilesToContainer(this.images.archivesForNewNode()).start()
    this.agents.push(agent)
    this.agentNames.push(name)
    await this.dependencies.nodeReady(this.kubeconfig, this.nodeCount())
    this.log(`node ${name}: Ready (${seconds(started)})`)
    return name
  }

  async loadedImages() {
    return this.images.references()
  }

  loadImages(images: readonly string[], log?: (line: string) => void) {
    const nodes = [...(this.server ? [{ node: SERVER_NAME, container: this.server.getId() }] : []), ...this.agents.map((agent, i) => ({ node: this.agentNames[i]!, container: agent.getId() }))]
    return this.images.load(images, nodes, log)
  }

  async stop(): Promise<void> {
    await this.images.remove()
    await Promise.allSettled([...this.agents, ...(this.server ? [this.server] : [])].map((c) => c.stop({ remove: true, removeVolumes: true })))
    await this.settings.network.stop()
  }
}


function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`
}

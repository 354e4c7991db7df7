// k3s in Docker through @testcontainers/k3s: the default where Docker can pull rancher/k3s.
// Agents join the server over one testcontainers network with the server's node token.
import { K3sContainer, type StartedK3sContainer } from '@testcontainers/k3s'
import { GenericContainer, ImageName, Network, Wait, getContainerRuntimeClient, type StartedNetwork, type StartedTestContainer } from 'testcontainers'
import { MAPPED_NODE_PORTS, MANAGED_LABEL, RUN_LABEL, reachableHost, runNetworkName, type ClusterProvider, type ClusterRequest, type RunningCluster } from './provider.js'

/** Pinned k3s release (Kubernetes 1.34, like the offline cluster). */
export const K3S_IMAGE = process.env.KUBE_SCENARIOS_K3S_IMAGE ?? 'rancher/k3s:v1.34.1-k3s1'
const SERVER_ALIAS = 'k3s-server'
const TRAEFIK_HTTP_PORT = 80
const K3S_API_PORT = 6443

export const k3sProvider: ClusterProvider = {
  name: 'k3s',
  async probe() {
    let client: Awaited<ReturnType<typeof getContainerRuntimeClient>>
    try {
      client = await getContainerRuntimeClient()
    } catch (error) {
      return { ok: false, reason: `no Docker engine answers (${firstLine(error)})` }
    }
    if (await client.image.exists(ImageName.fromString(K3S_IMAGE))) return { ok: true, reason: `${K3S_IMAGE} is present` }
    // The daemon resolves the image's manifest the way a pull would (mirrors, credentials).
    try {
      await client.container.dockerode.getImage(K3S_IMAGE).distribution()
      return { ok: true, pulls: true, reason: `${K3S_IMAGE} will be pulled` }
    } catch (error) {
      return { ok: false, reason: `${K3S_IMAGE} is not here and Docker cannot pull it: ${firstLine(error).replace(/^\(HTTP code \d+\) [\w ]+ - /, '')}` }
    }
  },
  async start(request: ClusterRequest): Promise<RunningCluster> {
    const labels = { [RUN_LABEL]: request.runId, [MANAGED_LABEL]: 'true' }
    const network = await new Network({ nextUuid: () => runNetworkName(request.runId) }).start()
    // The certificate also names the address testcontainers reaches containers at, in case
    // loopback does not answer (a harness inside a container talking to the host's engine).
    const engineHost = (await getContainerRuntimeClient()).info.containerRuntime.host
    // Traefik stays enabled (k3s's default): the Ingress recipe needs a controller.
    const server = await new K3sContainer(K3S_IMAGE)
      .withNetwork(network)
      .withNetworkAliases(SERVER_ALIAS)
      .withLabels(labels)
      .withCommand(['server', `--tls-san=${SERVER_ALIAS}`, `--tls-san=${engineHost}`])
      .withExposedPorts(...MAPPED_NODE_PORTS, TRAEFIK_HTTP_PORT)
      .start()
    const host = await reachableHost(server.getHost(), server.getMappedPort(K3S_API_PORT))
    const token = (await server.exec(['cat', '/var/lib/rancher/k3s/server/node-token'])).output.trim()
    const agents: StartedTestContainer[] = []
    const cluster = new K3sCluster(request.runId, server, host, network, agents, token, labels)
    for (let i = 1; i < request.nodes; i++) await cluster.addNode()
    return cluster
  },
}

class K3sCluster implements RunningCluster {
  constructor(
    private readonly runId: string,
    private readonly server: StartedK3sContainer,
    /** Where the server's published ports answer (see reachableHost). */
    private readonly host: string,
    private readonly network: StartedNetwork,
    private readonly agents: StartedTestContainer[],
    private readonly token: string,
    private readonly labels: Record<string, string>,
  ) {}

  get info() {
    const host = this.host
    return {
      provider: 'k3s' as const,
      runId: this.runId,
      kubeconfig: this.server.getKubeConfig().replace(/server: https:\/\/[^:]+:/, `server: https://${host}:`),
      kubernetesVersion: K3S_IMAGE.split(':')[1] ?? 'unknown',
      imageOverrides: {},
      nodePortUrls: Object.fromEntries(MAPPED_NODE_PORTS.map((port) => [String(port), `http://${host}:${this.server.getMappedPort(port)}`])),
      ingressUrl: `http://${host}:${this.server.getMappedPort(TRAEFIK_HTTP_PORT)}`,
    }
  }

  nodeCount() {
    return 1 + this.agents.length
  }

  async addNode(): Promise<string> {
    const name = `k3s-agent-${this.agents.length + 1}`
    const agent = await new GenericContainer(K3S_IMAGE)
      .withNetwork(this.network)
      .withLabels(this.labels)
      .withPrivilegedMode()
      .withBindMounts([{ source: '/sys/fs/cgroup', target: '/sys/fs/cgroup' }])
      .withTmpFs({ '/run': 'rw', '/var/run': 'rw' })
      .withEnvironment({ K3S_URL: `https://${SERVER_ALIAS}:6443`, K3S_TOKEN: this.token })
      .withCommand(['agent', `--node-name=${name}`])
      .withWaitStrategy(Wait.forLogMessage('Successfully registered node'))
      .withStartupTimeout(120_000)
      .start()
    this.agents.push(agent)
    return name
  }

  async stop() {
    await Promise.allSettled(this.agents.map((a) => a.stop({ remove: true, removeVolumes: true })))
    await this.server.stop({ remove: true, removeVolumes: true })
    await this.network.stop()
  }
}

function firstLine(error: unknown): string {
  return String((error as Error)?.message ?? error).split('\n')[0]!
}

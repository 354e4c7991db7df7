// The offline cluster: node containers of the image `npm run images` builds here (upstream
// Kubernetes from Go modules, Debian packages, no registry), started through testcontainers on
// one network. Workers join with the cluster CA; every pod image is preloaded in the node image.
import type { Readable } from 'node:stream'
import { GenericContainer, Network, Wait, getContainerRuntimeClient, type StartedNetwork, type StartedTestContainer } from 'testcontainers'
import { LOCAL_MANIFEST, type LocalManifest } from '#images/lib/paths.mjs'
import { sourcesHash } from '#images/lib/cache.mjs'
import { readJsonTolerantly } from '#images/lib/state-files.mjs'
import { disableRyuk, type RunSettings } from '../config/settings.js'
import { createClients } from '../api/client.js'
import { deploymentRolledOut, nodesReady } from '../workloads/conditions.js'
import { waitFor } from '../observe/wait.js'
import { LOCAL_NODE_RUNTIME, LoadedImages } from './images.js'
import { nodeClusterInfo, ADDONS_NEEDED_AT_ONCE, INGRESS_NODE_PORT, MANAGED_LABEL, MAPPED_NODE_PORTS, NODE_LABEL, RUN_LABEL, firstLine, kubeconfigForHost, publishedOn, reachableHost, withCgroupNamespace, runNetworkName, startNodes, subjectAltName, type ClusterInfo, type ClusterProvider, type NodeCluster } from './provider.js'

const API_PORT = 6443

/** An unreadable manifest is set aside with a warning: the cluster counts as not built (its cached steps make the rebuild short). */
function readManifest(): LocalManifest | undefined {
  return readJsonTolerantly<LocalManifest>(LOCAL_MANIFEST, {
    consequence: 'the offline cluster counts as not built; `npm run images` writes it again from its cached steps',
    valid: (value) => typeof (value as LocalManifest | null)?.nodeImage === 'string',
  })
}

export const localProvider: ClusterProvider = {
  name: 'local',
  async probe() {
    const manifest = readManifest()
    if (!manifest) return { ok: false, reason: `the offline cluster's images are not built (run \`npm run images\`; expected ${LOCAL_MANIFEST})` }
    try {
      const client = await getContainerRuntimeClient()
      const docker = client.container.dockerode
      await docker.getImage(manifest.nodeImage).inspect()
      if (manifest.sources !== (await sourcesHash())) return { ok: false, reason: `node image ${manifest.nodeImage} was built from other sources than these (images/ changed since)` }
      return { ok: true, reason: `node image ${manifest.nodeImage} (Kubernetes ${manifest.kubernetesVersion}) is built` }
    } catch (error) {
      return { ok: false, reason: `node image ${manifest.nodeImage} is not in Docker (${firstLine(error)}); run \`npm run images\`` }
    }
  },
  async start(request) {
    const manifest = readManifest()
    if (!manifest) throw new Error(`run \`npm run images\` first: ${LOCAL_MANIFEST} is missing`)
    disableRyuk()
    const labels = { [RUN_LABEL]: request.runId, [MANAGED_LABEL]: 'true' }
    const network = await new Network({ nextUuid: () => runNetworkName(request.runId) }).start()
    const cluster = new LocalCluster(request.runId, manifest, network, labels, request.settings, request.log ?? (() => undefined))
    return startNodes(cluster, request.nodes)
  },
}

/** A privileged node container with its own cgroup namespace and tmpfs where overlay cannot nest. */
class NodeContainer extends GenericContainer {
  private readonly recentLogs: string[] = []

  /** `log` gets the entry point's phase lines ("kube-node: etcd up"), with the time since start. */
  constructor(image: string, name: string, network: StartedNetwork, labels: Record<string, string>, startTimeoutMs: number, log: (line: string) => void) {
    super(image)
    const started = Date.now()
    withCgroupNamespace(this, 'private')
    this.withPrivilegedMode()
      .withNetwork(network)
      .withLabels({ ...labels, [NODE_LABEL]: name })
      .withEnvironment({ NODE_NAME: name })
      .withTmpFs({ '/run': 'rw,exec', '/tmp': 'rw,exec', '/var/lib/kubelet': 'rw,exec', '/var/lib/etcd': 'rw' })
      .withWaitStrategy(Wait.forLogMessage('kube-node: ready'))
      .withStartupTimeout(startTimeoutMs)
      .withLogConsumer((stream: Readable) => {
        stream.on('data', (chunk: Buffer) => {
          const lines = String(chunk).trimEnd().split('\n')
          for (const line of lines) {
            const phase = /^kube-node: (.*)$/.exec(line)?.[1]
            if (phase) log(`node ${name}: ${phase} (${((Date.now() - started) / 1000).toFixed(1)} s)`)
          }
          this.recentLogs.push(...lines)
          this.recentLogs.splice(0, Math.max(0, this.recentLogs.length - 40))
        })
      })
  }

  /** Starts it; a failed start names the node and shows what its entry point said last. */
  async startNode(name: string): Promise<StartedTestContainer> {
    try {
      return await this.start()
    } catch (error) {
      throw new Error(`node ${name} did not become ready: ${(error as Error).message}\nlast output of the node:\n  ${this.recentLogs.join('\n  ')}`)
    }
  }
}

class LocalCluster implements NodeCluster {
  private server?: StartedTestContainer
  /** Where the server's published ports answer (see reachableHost). */
  private host = ''
  private readonly workers: StartedTestContainer[] = []
  private kubeconfig = ''
  private caFiles?: { crt: string; key: string }
  private readonly images = new LoadedImages(LOCAL_NODE_RUNTIME)

  constructor(
    private readonly runId: string,
    private readonly manifest: LocalManifest,
    private readonly network: StartedNetwork,
    private readonly labels: Record<string, string>,
    private readonly settings: Pick<RunSettings, 'publishAddress' | 'timeouts'>,
    private readonly log: (line: string) => void,
  ) {}

  async startServer(): Promise<void> {
    const name = 'kube-scenarios-control-plane'
    // The API certificate also names the address testcontainers reaches containers at, in case
    // loopback does not answer (a harness inside a container talking to the host's engine).
    const engineHost = (await getContainerRuntimeClient()).info.containerRuntime.host
    // No network alias: with one, testcontainers also attaches the default bridge, and the node
    // would advertise an address the other nodes cannot route to. Workers use the server's IP.
    const server = new NodeContainer(this.manifest.nodeImage, name, this.network, this.labels, this.settings.timeouts.nodeStart, this.log)
      .withEnvironment({ NODE_NAME: name, API_SANS: subjectAltName(engineHost) })
      .withCommand(['server'])
      .withExposedPorts(API_PORT, ...MAPPED_NODE_PORTS)
    this.server = await publishedOn(server, this.settings.publishAddress).startNode(name)
    const admin = (await this.server.exec(['cat', '/etc/kubernetes/admin.conf'])).output
    this.host = await reachableHost(this.server.getHost(), this.server.getMappedPort(API_PORT))
    this.kubeconfig = kubeconfigForHost(admin, this.host, this.server.getMappedPort(API_PORT))
    await this.waitForNodes(1)
    // Scenarios may resolve names and use the Ingress from their first step.
    const clients = createClients(this.kubeconfig)
    for (const [namespace, name] of ADDONS_NEEDED_AT_ONCE) {
      await waitFor(clients, deploymentRolledOut(namespace, name), { timeoutMs: this.settings.timeouts.clusterReady })
    }
  }

  get info(): ClusterInfo {
    const { kubernetesVersion, imageOverrides, kubectl } = this.manifest
    const base = { provider: 'local' as const, runId: this.runId, kubeconfig: this.kubeconfig, kubernetesVersion, imageOverrides, host: this.host }
    return nodeClusterInfo(this.server, base, (_server, nodePortUrls) => ({
      ingressUrl: nodePortUrls[String(INGRESS_NODE_PORT)],
      ...(kubectl ? { kubectl: { command: [kubectl], needsKubeconfig: true } } : {}),
    }))
  }

  nodeCount(): number {
    return (this.server ? 1 : 0) + this.workers.length
  }

  async addNode(): Promise<string> {
    const server = this.server
    if (!server) throw new Error('the local cluster has not started')
    this.caFiles ??= {
      crt: (await server.exec(['cat', '/etc/kubernetes/pki/ca.crt'])).output,
      key: (await server.exec(['cat', '/etc/kubernetes/pki/ca.key'])).output,
    }
    const name = `kube-scenarios-worker-${this.workers.length + 1}`
    const worker = await new NodeContainer(this.manifest.nodeImage, name, this.network, this.labels, this.settings.timeouts.nodeStart, this.log)
      .withEnvironment({ NODE_NAME: name, KUBE_SERVER: `https://${server.getIpAddress(this.network.getName())}:${API_PORT}` })
      .withCopyContentToContainer([
        { content: this.caFiles.crt, target: '/etc/kubernetes/pki/ca.crt' },
        { content: this.caFiles.key, target: '/etc/kubernetes/pki/ca.key', mode: 0o600 },
      ])
      // Images loaded into the cluster so far: kube-node imports them before its kubelet registers.
      .withCopyFilesToContainer(this.images.archivesForNewNode())
      .withCommand(['worker'])
      .startNode(name)
    this.workers.push(worker)
    await this.waitForNodes(this.nodeCount())
    return name
  }

  async loadedImages() {
    return this.images.references()
  }

  loadImages(images: readonly string[], log?: (line: string) => void) {
    const nodes = [...(this.server ? [{ name: 'kube-scenarios-control-plane', container: this.server }] : []), ...this.workers.map((container, i) => ({ name: `kube-scenarios-worker-${i + 1}`, container }))]
    return this.images.load(images, nodes.map(({ name, container }) => ({ node: name, container: container.getId() })), log)
  }

  private async waitForNodes(count: number): Promise<void> {
    await waitFor(createClients(this.kubeconfig), nodesReady(count), { timeoutMs: this.settings.timeouts.clusterReady })
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.workers, ...(this.server ? [this.server] : [])].map((c) => c.stop({ remove: true, removeVolumes: true })))
    await this.network.stop()
    await this.images.remove()
  }
}

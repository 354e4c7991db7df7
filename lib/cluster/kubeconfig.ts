// An existing cluster (kind, EKS, GKE...) named by KUBECONFIG and a context. It never creates or
// deletes nodes, and the run deletes only the namespaces it created (labelled with the run id).
// A cluster held up by `kube-scenarios up` describes itself in its kubeconfig (HELD_CLUSTER_EXTENSION):
// its published NodePorts and Ingress, its image overrides, and where to ask it for another node.
import * as k8s from '@kubernetes/client-node'
import { existsSync, readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import path from 'node:path'
import YAML from 'yaml'
import { addNode, loadImages, loadedImages } from './control.js'
import type { RunSettings } from '../config/settings.js'
import { MAPPED_NODE_PORTS, UnsupportedByProviderError, firstLine, type ClusterInfo, type ClusterProvider, type ProviderName, type RunningCluster } from './provider.js'

/** Name of the kubeconfig extension in which `kube-scenarios up` describes the cluster it holds. */
export const HELD_CLUSTER_EXTENSION = 'kube-scenarios.dev/held-cluster'

/** What a held cluster tells a run that borrows it. */
export interface HeldCluster {
  provider: ProviderName
  runId: string
  nodePortUrls: Record<string, string>
  ingressUrl?: string
  imageOverrides: Record<string, string>
  /** The holding process's cluster control endpoint (adds nodes). */
  controlUrl?: string
  /** The cluster's own kubectl (see ClusterInfo.kubectl). */
  kubectl?: ClusterInfo['kubectl']
}

/** A kubeconfig that also carries the held cluster's description (kubectl ignores extensions it does not know). */
export function describeHeldCluster(kubeconfig: string, held: HeldCluster): string {
  const config = YAML.parse(kubeconfig) as { extensions?: Array<{ name: string; extension: unknown }> }
  config.extensions = [...(config.extensions ?? []).filter((e) => e.name !== HELD_CLUSTER_EXTENSION), { name: HELD_CLUSTER_EXTENSION, extension: held }]
  return YAML.stringify(config)
}

/**
 * The run's cluster as a kubeconfig another run (or tool) can borrow whole: `--cluster kubeconfig`
 * then reaches its NodePorts and Ingress, rewrites images as it does, and can ask it for nodes.
 */
export function kubeconfigForBorrowing(cluster: ClusterInfo): string {
  return describeHeldCluster(cluster.kubeconfig, {
    provider: cluster.provider,
    runId: cluster.runId,
    nodePortUrls: cluster.nodePortUrls,
    ...(cluster.ingressUrl ? { ingressUrl: cluster.ingressUrl } : {}),
    imageOverrides: cluster.imageOverrides,
    ...(cluster.controlUrl ? { controlUrl: cluster.controlUrl } : {}),
    ...(cluster.kubectl ? { kubectl: cluster.kubectl } : {}),
  })
}

/** The held cluster's description in a kubeconfig, if it has one. */
export function heldClusterOf(kubeconfig: string): HeldCluster | undefined {
  const config = YAML.parse(kubeconfig) as { extensions?: Array<{ name: string; extension: HeldCluster }> } | null
  return config?.extensions?.find((e) => e.name === HELD_CLUSTER_EXTENSION)?.extension
}

type KubeconfigSettings = Pick<RunSettings, 'kubeconfig' | 'kubectlConfigs'>

/** The kubeconfig files in use, in the order kubectl merges them. */
export function kubeconfigFiles(settings: KubeconfigSettings): string[] {
  return settings.kubeconfig ? [settings.kubeconfig] : (settings.kubectlConfigs ?? [path.join(homedir(), '.kube', 'config')])
}

/** The held cluster the kubeconfig in use describes (the first of its files that describes one). */
export function readHeldCluster(settings: KubeconfigSettings): HeldCluster | undefined {
  for (const file of kubeconfigFiles(settings)) {
    const held = existsSync(file) ? heldClusterOf(readFileSync(file, 'utf8')) : undefined
    if (held) return held
  }
  return undefined
}

/** The kubeconfig to use: KUBE_SCENARIOS_KUBECONFIG, else KUBECONFIG's files, else ~/.kube/config; the context the settings name. */
export function loadKubeConfig(settings: KubeconfigSettings & Pick<RunSettings, 'context'>): k8s.KubeConfig {
  const kc = new k8s.KubeConfig()
  if (settings.kubeconfig) kc.loadFromString(readFileSync(settings.kubeconfig, 'utf8'))
  else {
    // Merged as kubectl merges KUBECONFIG's files: the first file's current context wins.
    const [first, ...others] = kubeconfigFiles(settings).filter((f) => existsSync(f))
    if (first) kc.loadFromFile(first)
    for (const file of others) {
      const other = new k8s.KubeConfig()
      other.loadFromFile(file)
      kc.mergeConfig(other, true)
    }
  }
  if (settings.context) kc.setCurrentContext(settings.context)
  return kc
}

/**
 * A cluster that cannot pull (an offline cluster reached by kubeconfig) names its local images in
 * a JSON file: KUBE_SCENARIOS_IMAGE_OVERRIDES, either a plain map or a manifest with an
 * `imageOverrides` field (like the one `npm run images` writes).
 */
export function readImageOverrides(file: string | undefined): Record<string, string> {
  if (!file) return {}
  const where = `KUBE_SCENARIOS_IMAGE_OVERRIDES file ${file}`
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'))
  } catch (error) {
    throw new Error(`${where}: ${(error as Error).message}`)
  }
  const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)
  const map = isObject(parsed) && 'imageOverrides' in parsed ? parsed.imageOverrides : parsed
  const inManifest = map !== parsed
  const field = inManifest ? 'imageOverrides' : '(top level)'
  if (!isObject(map)) throw new Error(`${where}: ${field} must be an object mapping image references to local ones`)
  for (const [image, local] of Object.entries(map)) {
    if (typeof local !== 'string') throw new Error(`${where}: ${inManifest ? `${field}.` : ''}${JSON.stringify(image)} must be a string, not ${JSON.stringify(local)}`)
  }
  return map as Record<string, string>
}

/** Why images cannot be loaded into a cluster kube-scenarios did not start. */
export const NOT_OURS_TO_LOAD = 'kube-scenarios did not start this cluster, so it cannot put images into its nodes; push the image to a registry its nodes pull from, or hold a cluster with `kube-scenarios up` (or use the k3s or local provider)'

export const kubeconfigProvider: ClusterProvider = {
  name: 'kubeconfig',
  async probe(settings) {
    const files = kubeconfigFiles(settings)
    if (!files.some((f) => existsSync(f))) return { ok: false, reason: `no kubeconfig file (${files.join(', ')}); set KUBE_SCENARIOS_KUBECONFIG or KUBECONFIG` }
    try {
      const kc = loadKubeConfig(settings)
      const cluster = kc.getCurrentCluster()
      if (!cluster) return { ok: false, reason: 'no kubeconfig with a current cluster (set KUBECONFIG or KUBE_SCENARIOS_KUBECONFIG)' }
      const version = await kc.makeApiClient(k8s.VersionApi).getCode()
      return { ok: true, reason: `context ${kc.getCurrentContext()} answers at ${cluster.server} (${version.gitVersion})` }
    } catch (error) {
      return { ok: false, reason: `the kubeconfig's cluster does not answer (${firstLine(error)})` }
    }
  },
  async start(request): Promise<RunningCluster> {
    const { settings } = request
    const kc = loadKubeConfig(settings)
    const version = await kc.makeApiClient(k8s.VersionApi).getCode()
    const { items: nodes } = await kc.makeApiClient(k8s.CoreV1Api).listNode()
    const address = nodes[0]?.status?.addresses?.find((a) => a.type === 'ExternalIP' || a.type === 'InternalIP')?.address
    const held = readHeldCluster(settings)
    // Settings given for this run win over what a held cluster says of itself.
    const ingressUrl = settings.ingressUrl ?? held?.ingressUrl
    const info: ClusterInfo = {
      provider: 'kubeconfig',
      runId: request.runId,
      kubeconfig: kc.exportConfig(),
      kubernetesVersion: version.gitVersion,
      imageOverrides: settings.imageOverrides ? readImageOverrides(settings.imageOverrides) : (held?.imageOverrides ?? {}),
      nodePortUrls: held?.nodePortUrls ?? (address ? Object.fromEntries(MAPPED_NODE_PORTS.map((port) => [String(port), `http://${address}:${port}`])) : {}),
      // Where this cluster's Ingress controller answers is the team's to say.
      ...(ingressUrl ? { ingressUrl } : {}),
      ...(held?.kubectl ? { kubectl: held.kubectl } : {}),
    }
    let nodeCount = nodes.length
    return {
      info,
      nodeCount: () => nodeCount,
      async addNode() {
        if (!held?.controlUrl) {
          throw new UnsupportedByProviderError('kubeconfig', 'add a node', 'it uses an existing cluster; size that cluster beforehand, hold one with `kube-scenarios up`, or use the k3s or local provider')
        }
        const name = await addNode({ ...info, controlUrl: held.controlUrl })
        nodeCount++
        return name
      },
      async loadImages(images) {
        if (!held?.controlUrl) throw new UnsupportedByProviderError('kubeconfig', 'load images', NOT_OURS_TO_LOAD)
        return loadImages({ controlUrl: held.controlUrl }, images)
      },
      async loadedImages() {
        return held?.controlUrl ? loadedImages({ controlUrl: held.controlUrl }) : []
      },
      async stop() {
        // Nothing to stop: the cluster is not ours. Namespaces are deleted by the scenarios.
      },
    }
  },
}

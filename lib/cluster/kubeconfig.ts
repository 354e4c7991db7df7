// An existing cluster (kind, EKS, GKE...) named by KUBECONFIG and a context. It never creates or
// deletes nodes, and the run deletes only the namespaces it created (labelled with the run id).
import * as k8s from '@kubernetes/client-node'
import { readFileSync } from 'node:fs'
import { MAPPED_NODE_PORTS, UnsupportedByProviderError, type ClusterProvider, type RunningCluster } from './provider.js'

/** The kubeconfig to use: KUBE_SCENARIOS_KUBECONFIG, else KUBECONFIG, else ~/.kube/config. */
function loadKubeConfig(): k8s.KubeConfig {
  const kc = new k8s.KubeConfig()
  const file = process.env.KUBE_SCENARIOS_KUBECONFIG
  if (file) kc.loadFromString(readFileSync(file, 'utf8'))
  else kc.loadFromDefault()
  const context = process.env.KUBE_SCENARIOS_CONTEXT
  if (context) kc.setCurrentContext(context)
  return kc
}

/**
 * A cluster that cannot pull (an offline cluster reached by kubeconfig) names its local images in
 * a JSON file: KUBE_SCENARIOS_IMAGE_OVERRIDES, either a plain map or a manifest with an
 * `imageOverrides` field (like the one `npm run images` writes).
 */
export function readImageOverrides(file = process.env.KUBE_SCENARIOS_IMAGE_OVERRIDES): Record<string, string> {
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

export const kubeconfigProvider: ClusterProvider = {
  name: 'kubeconfig',
  async probe() {
    try {
      const kc = loadKubeConfig()
      const cluster = kc.getCurrentCluster()
      if (!cluster) return { ok: false, reason: 'no kubeconfig with a current cluster (set KUBECONFIG or KUBE_SCENARIOS_KUBECONFIG)' }
      const version = await kc.makeApiClient(k8s.VersionApi).getCode()
      return { ok: true, reason: `context ${kc.getCurrentContext()} answers at ${cluster.server} (${version.gitVersion})` }
    } catch (error) {
      return { ok: false, reason: `the kubeconfig's cluster does not answer (${(error as Error).message.split('\n')[0]})` }
    }
  },
  async start(request): Promise<RunningCluster> {
    const kc = loadKubeConfig()
    const version = await kc.makeApiClient(k8s.VersionApi).getCode()
    const { items: nodes } = await kc.makeApiClient(k8s.CoreV1Api).listNode()
    const address = nodes[0]?.status?.addresses?.find((a) => a.type === 'ExternalIP' || a.type === 'InternalIP')?.address
    const info = {
      provider: 'kubeconfig' as const,
      runId: request.runId,
      kubeconfig: kc.exportConfig(),
      kubernetesVersion: version.gitVersion,
      imageOverrides: readImageOverrides(),
      nodePortUrls: Object.fromEntries(MAPPED_NODE_PORTS.map((port) => [String(port), `http://${address}:${port}`])),
      // Where this cluster's Ingress controller answers is the team's to say.
      ...(process.env.KUBE_SCENARIOS_INGRESS_URL ? { ingressUrl: process.env.KUBE_SCENARIOS_INGRESS_URL } : {}),
    }
    return {
      info,
      nodeCount: () => nodes.length,
      async addNode() {
        throw new UnsupportedByProviderError('kubeconfig', 'add a node', 'it uses an existing cluster; size that cluster beforehand, or use the k3s or local provider')
      },
      async stop() {
        // Nothing to stop: the cluster is not ours. Namespaces are deleted by the scenarios.
      },
    }
  },
}

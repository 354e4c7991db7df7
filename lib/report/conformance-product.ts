// A conformance run's PRODUCT.yaml: the fields of a cncf/k8s-conformance submission's, then what
// this run was (cluster, nodes, what was built here, the result), so the run folder reads like a
// submission (e2e.log, junit_01.xml, PRODUCT.yaml).
import YAML from 'yaml'
import type { NodeDescription } from './cluster-nodes.js'
import type { ConformanceReport } from './conformance.js'

export interface ProductRun {
  provider: string
  runId: string
  /** The API server's version. */
  kubernetesVersion: string
  nodes?: NodeDescription[]
  /** The node containers' images (the offline cluster's node image), when the nodes are kube-scenarios' own. */
  nodeImages: string[]
  /** The e2e suite's binary and the test images loaded into the nodes. */
  e2eTest: string
  testImages: string[]
  report: ConformanceReport
}

const DESCRIPTIONS: Record<string, string> = {
  local:
    'Upstream Kubernetes built from source on this machine (Go module proxy and Debian packages, no container registry) with k3s\'s component set (CoreDNS, Traefik, metrics-server, local-path-provisioner, kube-router\'s NetworkPolicy controller), each node a Docker container.',
  k3s: 'k3s in Docker containers, started by kube-scenarios (testcontainers).',
}

export function renderProduct(run: ProductRun): string {
  const count = (status: string) => run.report.specs.filter((s) => s.status === status).length
  const product = {
    vendor: 'kube-scenarios',
    name: run.provider === 'local' ? 'kube-scenarios offline cluster' : `kube-scenarios (${run.provider} cluster)`,
    version: run.kubernetesVersion,
    type: 'installer',
    description: DESCRIPTIONS[run.provider] ?? `A cluster reached through a kubeconfig (${run.provider}).`,
    run: {
      id: run.runId,
      cluster: run.provider,
      e2e_suite: `${run.report.suiteVersion} (${run.e2eTest})`,
      nodes: (run.nodes ?? []).map((n) => ({
        name: n.name,
        kubelet: n.kubeletVersion,
        container_runtime: n.containerRuntime,
        os_image: n.osImage,
        kernel: n.kernel,
        cpu: n.cpu,
        memory: n.memory,
        taints: n.taints,
      })),
      built_here: { node_images: run.nodeImages, test_images: run.testImages },
      result: {
        selected: run.report.specs.length,
        passed: count('passed'),
        failed: count('failed'),
        skipped: count('skipped'),
        ginkgo_processes: run.report.parallel,
        wall_seconds: Math.round(run.report.durationMs / 1000),
        ...(run.report.serial ? { serial_specs: run.report.serial.specs, serial_phase_seconds: Math.round(run.report.serial.durationMs / 1000) } : {}),
      },
    },
  }
  return YAML.stringify(product, { lineWidth: 0 })
}

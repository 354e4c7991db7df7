// Values that more than one layer must agree on: the offline build (node image, add-ons), the
// cluster providers, the reaper and `clean`. Defined once here; kube-node's config files get
// theirs from the build (images/node-image.mjs fills them in).
import { DEFAULT_RELEASE } from './kubernetes-releases.mjs'

/** The Kubernetes release the offline cluster is built from, and the k3s image run by default. */
export const KUBERNETES_MINOR = DEFAULT_RELEASE.minor
export const KUBERNETES_VERSION = DEFAULT_RELEASE.kubernetes
export const DEFAULT_K3S_IMAGE = DEFAULT_RELEASE.k3sImage

/** Labels on everything a run creates (containers, networks, namespaces). */
export const RUN_LABEL = 'kube-scenarios.dev/run'
export const MANAGED_LABEL = 'kube-scenarios.dev/managed'
/** On each node container: the name of its node (Docker's events then name the node that died). */
export const NODE_LABEL = 'kube-scenarios.dev/node'

/**
 * The Docker network of a run. Typed by cluster-constants.d.mts (what TypeScript importers read).
 * @type {typeof import('./cluster-constants.d.mts').runNetworkName}
 */
export const runNetworkName = (runId) => `kube-scenarios-${runId}`

/** The offline cluster's address plan. */
export const POD_CIDR = '10.244.0.0/16'
export const SERVICE_CIDR = '10.96.0.0/16'
/** The `kubernetes` Service: the first address of SERVICE_CIDR. */
export const API_SERVICE_IP = '10.96.0.1'
export const DNS_SERVICE_IP = '10.96.0.10'

/** NodePorts published to the host for every cluster; the fixtures use them. */
export const MAPPED_NODE_PORTS = [30080, 30081, 30082, 30083, 30084, 30085, 30086, 30087, 30088, 30089]
/** Where the cluster's Ingress controller listens (one of MAPPED_NODE_PORTS). */
export const INGRESS_NODE_PORT = 30081

/**
 * Where a node looks for image archives to import before its kubelet starts: images loaded into a
 * running cluster (`kube-scenarios load`) reach nodes added later this way. k3s imports the same
 * way from its own folder.
 */
export const NODE_IMAGE_ARCHIVES_DIR = '/var/lib/kube-scenarios/images'
export const K3S_IMAGE_ARCHIVES_DIR = '/var/lib/rancher/k3s/agent/images'

/**
 * The offline build keeps these in Docker under these names, so that `FROM` works on a machine
 * that can pull nothing (they are what the cluster runs for busybox:1.36 and debian:12).
 */
export const BASE_IMAGES = { busybox: 'kube-scenarios/busybox:1.36', debian: 'kube-scenarios/debian:12' }

// The Kubernetes releases kube-scenarios supports: the minors upstream still patches
// (kubernetes.io/releases: about 14 months each) and what each release runs. The default release
// is the newest one named here. tests/unit/kubernetes-releases.test.ts fails once a release is past
// its end of life and keeps images/*/go.mod on the default release's components, so the next bump
// is noticed: add the next minor (its newest patch the Go module proxy serves, the k3s tag of its
// release notes), `go get` its components in images/go, images/e2e, images/containerd and
// images/traefik, and drop the release that ended.

/** @typedef {import('./kubernetes-releases.d.mts').KubernetesRelease} KubernetesRelease */

/**
 * Where the offline build pins each component (Kubernetes: the release's `kubernetes`): a module
 * directory of images/ and the module it requires.
 * @type {typeof import('./kubernetes-releases.d.mts').COMPONENT_MODULES}
 */
export const COMPONENT_MODULES = {
  kubernetes: { dir: 'go', module: 'k8s.io/kubernetes' },
  etcd: { dir: 'go', module: 'go.etcd.io/etcd/server/v3' },
  coredns: { dir: 'go', module: 'github.com/coredns/coredns' },
  metricsServer: { dir: 'go', module: 'sigs.k8s.io/metrics-server' },
  kubeRouter: { dir: 'go', module: 'github.com/cloudnativelabs/kube-router/v2' },
  localPathProvisioner: { dir: 'go', module: 'github.com/rancher/local-path-provisioner' },
  containerd: { dir: 'containerd', module: 'github.com/containerd/containerd/v2' },
  traefik: { dir: 'traefik', module: 'github.com/traefik/traefik/v3' },
}

/**
 * Oldest first. Dates from kubernetes.io/releases; k3s tags from k3s's release notes (the newest
 * tag each line's notes name). Only the default release has an offline build (components).
 * @type {readonly KubernetesRelease[]}
 */
export const KUBERNETES_RELEASES = [
  { minor: '1.35', released: '2025-12-17', endOfLife: '2027-02-28', kubernetes: 'v1.35.4', k3sImage: 'rancher/k3s:v1.35.6-k3s1' },
  { minor: '1.36', released: '2026-04-22', endOfLife: '2027-06-28', kubernetes: 'v1.36.3', k3sImage: 'rancher/k3s:v1.36.2-k3s1' },
  {
    minor: '1.37',
    released: '2026-08-26',
    endOfLife: '2027-10-28',
    kubernetes: 'v1.37.2',
    // v1.37.2+k3s1 (2026-11-03): the k3s release of this patch.
    k3sImage: 'rancher/k3s:v1.37.2-k3s1',
    components: {
      // What Kubernetes v1.37.2 requires (kubeadm's etcd for 1.37 is 3.7.0 too).
      etcd: 'v3.7.0',
      // The newest release built against client-go v0.37.
      coredns: 'v1.15.0',
      // v0.9.1 needs Go 1.26.10 (this build has 1.26.8); v0.8.1 is what k3s 1.35 to 1.37 ship.
      metricsServer: 'v0.8.1',
      // The only releases the module proxy serves.
      kubeRouter: 'v2.1.0',
      localPathProvisioner: 'v0.0.30',
      // The LTS line (until 2028-04-30) containerd's support table names for 1.37; k3s v1.37.2 ships it.
      containerd: 'v2.3.7',
      // images/traefik/go.mod says why not the v3.7.14 k3s v1.37.2 ships.
      traefik: 'v3.6.12',
    },
  },
]

const newest = KUBERNETES_RELEASES.at(-1)
if (!newest?.components) throw new Error('images/lib/kubernetes-releases.mjs: the newest release names no components, and the offline cluster builds it')

/**
 * The release the offline cluster is built from and k3s runs by default: the newest.
 * @type {typeof import('./kubernetes-releases.d.mts').DEFAULT_RELEASE}
 */
export const DEFAULT_RELEASE = { ...newest, components: newest.components }

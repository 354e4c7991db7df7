/** A component of the offline build, pinned by a go.mod of images/. */
export type Component = 'kubernetes' | 'etcd' | 'coredns' | 'metricsServer' | 'kubeRouter' | 'localPathProvisioner' | 'containerd' | 'traefik'

export interface KubernetesRelease {
  /** "1.37" */
  minor: string
  /** The minor's first release (YYYY-MM-DD). */
  released: string
  /** The last day upstream patches it (YYYY-MM-DD). */
  endOfLife: string
  /** The patch release the offline build compiles ("v1.37.2"). */
  kubernetes: string
  /** The k3s image of this minor (rancher/k3s:vX.Y.Z-k3sN). */
  k3sImage: string
  /** Component -> the version the offline build pins (every component but Kubernetes itself). */
  components?: Readonly<Record<Exclude<Component, 'kubernetes'>, string>>
}

export declare const COMPONENT_MODULES: Readonly<Record<Component, { readonly dir: string; readonly module: string }>>
export declare const KUBERNETES_RELEASES: readonly KubernetesRelease[]
export declare const DEFAULT_RELEASE: KubernetesRelease & { components: NonNullable<KubernetesRelease['components']> }

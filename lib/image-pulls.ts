// Pods that cannot get their image: the kubelet says so within seconds (ErrImagePull,
// ImagePullBackOff, InvalidImageName), so a wait on pods of such a namespace fails then with the
// image, the node, the kubelet's message and what to do, instead of at its timeout.
import type { Clients } from './api.js'
import { SharedWatch, type ObservedObject } from './wait.js'

/** Waiting reasons that mean the image will not arrive by itself. */
export const IMAGE_PULL_FAILURE_REASONS: readonly string[] = ['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull']

export interface ImagePullFailure {
  pod: string
  container: string
  image: string
  node?: string
  reason: string
  message: string
}

/** The containers of a pod that wait for an image that cannot be pulled. */
export function pullFailuresOf(pod: ObservedObject): ImagePullFailure[] {
  const status = pod.status as { initContainerStatuses?: ContainerStatus[]; containerStatuses?: ContainerStatus[] } | undefined
  const spec = pod.spec as { nodeName?: string; initContainers?: Array<{ name: string; image: string }>; containers?: Array<{ name: string; image: string }> } | undefined
  const declared = new Map([...(spec?.initContainers ?? []), ...(spec?.containers ?? [])].map((c) => [c.name, c.image]))
  return [...(status?.initContainerStatuses ?? []), ...(status?.containerStatuses ?? [])]
    .filter((c) => c.state?.waiting?.reason && IMAGE_PULL_FAILURE_REASONS.includes(c.state.waiting.reason))
    .map((c) => ({
      pod: pod.metadata.name,
      container: c.name,
      // The spec says what was asked for; the status may show the name the runtime normalised.
      image: declared.get(c.name) ?? c.image,
      ...(spec?.nodeName ? { node: spec.nodeName } : {}),
      reason: c.state!.waiting!.reason!,
      message: c.state!.waiting!.message ?? '',
    }))
}

interface ContainerStatus {
  name: string
  image: string
  state?: { waiting?: { reason?: string; message?: string } }
}

/**
 * What to do about an image a cluster cannot pull. `heldImages`: the upstream references an
 * offline cluster holds (its image overrides), which it runs in place of pulling them.
 */
export function pullRemedy(image: string, heldImages: readonly string[] = []): string {
  const load = `build it on this machine and load it into the cluster: \`kube-scenarios load ${image}\`, or name it in \`images:\` of kubeScenarios() or useScenario() (loaded before the first test)`
  if (heldImages.length === 0) return load
  return `${load}; this cluster pulls nothing, it holds only ${[...heldImages].sort().join(', ')}`
}

/** A wait that depends on pods whose image cannot be pulled. */
export class ImagePullError extends Error {
  constructor(
    readonly failures: readonly ImagePullFailure[],
    readonly condition: string,
    heldImages: readonly string[] = [],
  ) {
    const lines = failures.map((f) => `  pod ${f.pod} container ${f.container}${f.node ? ` on node ${f.node}` : ''}: ${f.reason}: ${f.message || '(no message)'}`)
    const images = [...new Set(failures.map((f) => f.image))]
    super(
      [
        `image ${images.join(', ')} cannot be pulled, while waiting until ${condition}:`,
        ...lines,
        ...images.map((image) => `remedy for ${image}: ${pullRemedy(image, heldImages)}`),
      ].join('\n'),
    )
    this.name = 'ImagePullError'
  }
}

type FailureListener = (failures: ImagePullFailure[]) => void

/** One Pod watch per namespace and process, shared by the waits running on that namespace. */
class PullFailureTracker {
  private failures: ImagePullFailure[] = []
  private readonly pods: SharedWatch<FailureListener>

  constructor(clients: Clients, namespace: string) {
    this.pods = new SharedWatch(clients, { apiVersion: 'v1', kind: 'Pod', namespace }, this.observe, () => (this.failures = []))
  }

  /** Calls `listener` whenever pods of the namespace fail to get their image (at once if some do already). */
  subscribe(listener: FailureListener): { listed: Promise<void>; unsubscribe: () => void } {
    const subscription = this.pods.subscribe(listener)
    if (this.failures.length) listener(this.failures)
    return subscription
  }

  private readonly observe = (pods: ObservedObject[]): void => {
    // A pod being deleted no longer decides anything.
    this.failures = pods.filter((pod) => !pod.metadata.deletionTimestamp).flatMap(pullFailuresOf)
    if (this.failures.length === 0) return
    for (const listener of [...this.pods.listeners]) listener(this.failures)
  }
}

const trackers = new WeakMap<Clients, Map<string, PullFailureTracker>>()

/** The image pull failures of a namespace's pods, as this process observes them. */
export function pullFailures(clients: Clients, namespace: string): Pick<PullFailureTracker, 'subscribe'> {
  let byNamespace = trackers.get(clients)
  if (!byNamespace) trackers.set(clients, (byNamespace = new Map()))
  let tracker = byNamespace.get(namespace)
  if (!tracker) byNamespace.set(namespace, (tracker = new PullFailureTracker(clients, namespace)))
  return tracker
}

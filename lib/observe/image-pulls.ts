// Pods that cannot get their image: the kubelet says so within seconds (ErrImagePull,
// ImagePullBackOff, InvalidImageName), so a wait on pods of such a namespace fails then with the
// image, the node, the kubelet's message and what to do, instead of at its timeout.
import type { Clients } from '../api/client.js'
import { SharedWatch, type ObservedObject } from './watch.js'

/** Waiting reasons that mean the image will not arrive by itself. */
export const IMAGE_PULL_FAILURE_REASONS: readonly string[] = ['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull']

export interface ImagePullFailure {
  pod: string
  container: string
  image: string
  /** The container's imagePullPolicy (the API server defaults it: Always for `:latest` or no tag). */
  pullPolicy?: string
  node?: string
  reason: string
  message: string
}

/** The containers of a pod that wait for an image that cannot be pulled. */
export function pullFailuresOf(pod: ObservedObject): ImagePullFailure[] {
  const status = pod.status as { initContainerStatuses?: ContainerStatus[]; containerStatuses?: ContainerStatus[] } | undefined
  type Container = { name: string; image: string; imagePullPolicy?: string }
  const spec = pod.spec as { nodeName?: string; initContainers?: Container[]; containers?: Container[] } | undefined
  const declared = new Map([...(spec?.initContainers ?? []), ...(spec?.containers ?? [])].map((c) => [c.name, c]))
  return [...(status?.initContainerStatuses ?? []), ...(status?.containerStatuses ?? [])]
    .filter((c) => c.state?.waiting?.reason && IMAGE_PULL_FAILURE_REASONS.includes(c.state.waiting.reason))
    .map((c) => ({
      pod: pod.metadata.name,
      container: c.name,
      // The spec says what was asked for; the status may show the name the runtime normalised.
      image: declared.get(c.name)?.image ?? c.image,
      ...(declared.get(c.name)?.imagePullPolicy ? { pullPolicy: declared.get(c.name)!.imagePullPolicy } : {}),
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

/** What the nodes hold in place of pulling, as far as the harness knows; each list of image references. */
export interface NodeImages {
  /** Loaded into the nodes from this machine's Docker (kubeScenarios/useScenario `images:`, `kube-scenarios load`, loadImages). */
  loaded?: readonly string[]
  /** An offline cluster's image overrides: upstream reference -> the reference its nodes hold and run in its place. */
  overrides?: Readonly<Record<string, string>>
  /** The names the Nodes report in status.images (the kubelet refreshes them within about a minute). */
  reported?: readonly string[]
}

/**
 * A reference as the runtime names it: registry, repository, then tag (`:latest` when none) or
 * digest. `myapp` -> docker.io/library/myapp:latest.
 */
export function normalizeImage(image: string): string {
  const [name = '', digest] = image.split('@')
  const slash = name.indexOf('/')
  const first = slash < 0 ? '' : name.slice(0, slash)
  const hasRegistry = first.includes('.') || first.includes(':') || first === 'localhost'
  const qualified = hasRegistry ? name : `docker.io/${slash < 0 ? 'library/' : ''}${name}`
  if (digest) return `${qualified}@${digest}`
  return /:[^/]+$/.test(qualified) ? qualified : `${qualified}:latest`
}

/** A normalized reference without its tag and digest: docker.io/library/busybox. */
function repositoryOf(normalized: string): string {
  return normalized.split('@')[0]!.replace(/:[^/:]+$/, '')
}

/** `:latest` or no tag: the API server gives such a container imagePullPolicy Always unless it says otherwise. */
function defaultsToAlways(image: string): boolean {
  return !image.includes('@') && normalizeImage(image).endsWith(':latest')
}

/** Where the nodes got `image` from, when they have it; `exact: false` when only its name matches (another digest). */
function presence(image: string, nodes: NodeImages): { how: string; exact: boolean } | undefined {
  const wanted = normalizeImage(image)
  const sources: Array<[string, readonly string[] | undefined]> = [
    ['loaded into the nodes', nodes.loaded],
    ['held by the offline cluster', Object.values(nodes.overrides ?? {})],
    ['reported by the nodes', nodes.reported],
  ]
  for (const [how, images] of sources) {
    const normalized = (images ?? []).map(normalizeImage)
    if (normalized.includes(wanted)) return { how, exact: true }
    if (wanted.includes('@') && normalized.some((n) => repositoryOf(n) === repositoryOf(wanted))) return { how, exact: false }
  }
  return undefined
}

/**
 * What to do about an image a cluster cannot pull, naming the real cause: an image the nodes hold
 * whose pull policy makes the kubelet pull it anyway (Always, the default for `:latest` or no
 * tag), an image referred to by another digest than the one held, or an image not there at all.
 */
export function pullRemedy(failure: Pick<ImagePullFailure, 'image' | 'container' | 'pullPolicy' | 'reason'>, nodes: NodeImages = {}): string {
  const { image, container } = failure
  const load = `build it on this machine and load it into the cluster: \`kube-scenarios load ${image}\`, or name it in \`images:\` of kubeScenarios() or useScenario() (loaded before the first test)`
  const overrides = nodes.overrides ?? {}
  const held = Object.keys(overrides)
  const notThere = held.length ? `${load}; this cluster pulls nothing, it holds only ${[...held].sort().join(', ')}` : load
  const heldAs = Object.entries(overrides).find(([upstream]) => normalizeImage(upstream) === normalizeImage(image))?.[1]
  if (heldAs) return `this cluster holds it as ${heldAs} and pulls nothing: objects applied with s.apply or s.applyObjects get that name; one created otherwise must name ${heldAs}`
  const found = failure.reason === 'ErrImageNeverPull' ? undefined : presence(image, nodes)
  if (!found) return notThere
  if (!found.exact) {
    return `the nodes hold ${image.split('@')[0]} (${found.how}), but under another digest than ${image.split('@')[1]}: the digest mismatches, so the kubelet tries to pull this one; refer to the image by its tag with \`imagePullPolicy: IfNotPresent\`, or load the image with that digest`
  }
  const policy = failure.pullPolicy ?? (defaultsToAlways(image) ? 'Always' : 'IfNotPresent')
  if (policy === 'Always') {
    const why = defaultsToAlways(image) ? ' (the default for an image tagged `:latest` or with no tag)' : ''
    const tag = defaultsToAlways(image) ? `, or give it a tag other than latest (e.g. ${image.split('@')[0]!.replace(/:latest$/, '')}:dev)` : ''
    return `it is in the nodes (${found.how}), but container ${container} has imagePullPolicy Always${why}: the kubelet pulls it from its registry on every start instead of using it; set \`imagePullPolicy: IfNotPresent\`${tag}`
  }
  return `it is in the nodes (${found.how}) with imagePullPolicy ${policy}, yet the kubelet pulled it: it may be missing on that node (loaded before the node joined?); ${notThere}`
}

/** A wait that depends on pods whose image cannot be pulled. */
export class ImagePullError extends Error {
  constructor(
    readonly failures: readonly ImagePullFailure[],
    readonly condition: string,
    nodes: NodeImages = {},
  ) {
    const lines = failures.map((f) => `  pod ${f.pod} container ${f.container}${f.node ? ` on node ${f.node}` : ''}: ${f.reason}: ${f.message || '(no message)'}`)
    // One remedy per image (its first failing container speaks for the others).
    const byImage = new Map<string, ImagePullFailure>()
    for (const failure of failures) if (!byImage.has(failure.image)) byImage.set(failure.image, failure)
    super(
      [
        `image ${[...byImage.keys()].join(', ')} cannot be pulled, while waiting until ${condition}:`,
        ...lines,
        ...[...byImage.values()].map((f) => `remedy for ${f.image}: ${pullRemedy(f, nodes)}`),
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

// The maxSurge claim of a rolling update, decided from watched pods and ReplicaSets.
//
// The Deployment controller keeps the ReplicaSets' sizes (spec.replicas) within desired +
// maxSurge. Each ReplicaSet's own controller then creates and removes pods independently, so a
// new pod can appear just before the old pod its ReplicaSet was already shrunk for is marked for
// removal (seen on the offline cluster: 5 live pods for 3 + 1, the fifth created 0 ms before an
// old one got its deletionTimestamp). The claim therefore has two parts: the sizes never sum above
// the bound, and every live pod above it belongs to a ReplicaSet whose size, at that instant, is
// already below its live pods. Instants are resourceVersions: pods and ReplicaSets share one
// sequence (etcd's revision, kine's id), so the two watches can be merged after the fact.
import type { ObservedObject, Selection, WatchEventType } from '../observe/watch.js'

/** One observation with more live pods than the bound. */
export interface MomentAboveBound {
  resourceVersion: bigint
  livePods: number
  liveByReplicaSet: Map<string, number>
}

export interface SurgeVerdict {
  maxPods: number
  /** Most live pods (no deletionTimestamp) seen at once. */
  maxLivePods: number
  /** Largest sum of the ReplicaSets' spec.replicas seen. */
  maxReplicaSetTotal: number
  /** Every moment above the bound, with how many of its pods no shrunk ReplicaSet accounts for. */
  moments: Array<MomentAboveBound & { unexplained: number }>
  /** Changes observed after the initial lists. */
  changes: { pods: number; replicaSets: number }
  /** True when both parts of the claim hold for everything observed. */
  holds: boolean
}

/** The watch observers a SurgeBound needs (the shape of `s.during`'s observers). */
export interface SurgeObservers {
  pods: { selection: Selection; onListed(pods: ObservedObject[]): void; onChange(pods: ObservedObject[], type: WatchEventType, pod: ObservedObject): void }
  replicaSets: { selection: Selection; onListed(sets: ObservedObject[]): void; onChange(sets: ObservedObject[], type: WatchEventType, rs: ObservedObject): void }
}

const ownerOf = (pod: ObservedObject) => pod.metadata.ownerReferences?.[0]?.name ?? '(none)'

export class SurgeBound {
  private readonly sizes = new Map<string, Array<{ at: bigint; replicas: number }>>()
  private readonly above: MomentAboveBound[] = []
  private maxLivePods = 0
  private maxReplicaSetTotal = 0
  private readonly changes = { pods: 0, replicaSets: 0 }

  /** `maxPods` is desired + maxSurge (maxSurge as the controller rounds it: up). */
  constructor(readonly maxPods: number) {}

  /** The pods' state after a change (`changed` is the pod that changed; none for the initial list). */
  pods(pods: readonly ObservedObject[], changed?: ObservedObject): number {
    if (changed) this.changes.pods++
    const live = pods.filter((p) => !p.metadata.deletionTimestamp)
    this.maxLivePods = Math.max(this.maxLivePods, live.length)
    if (live.length > this.maxPods) {
      const liveByReplicaSet = new Map<string, number>()
      for (const p of live) liveByReplicaSet.set(ownerOf(p), (liveByReplicaSet.get(ownerOf(p)) ?? 0) + 1)
      const at = BigInt((changed ?? maxByVersion(live)).metadata.resourceVersion)
      this.above.push({ resourceVersion: at, livePods: live.length, liveByReplicaSet })
    }
    return live.length
  }

  /** ReplicaSets as listed or changed; returns the current sum of their sizes. */
  replicaSets(sets: readonly ObservedObject[], changed = false): number {
    if (changed) this.changes.replicaSets++
    for (const rs of sets) {
      const history = this.sizes.get(rs.metadata.name) ?? []
      history.push({ at: BigInt(rs.metadata.resourceVersion), replicas: Number(rs.spec?.replicas ?? 0) })
      this.sizes.set(rs.metadata.name, history)
    }
    const total = [...this.sizes.values()].reduce((sum, history) => sum + history.at(-1)!.replicas, 0)
    this.maxReplicaSetTotal = Math.max(this.maxReplicaSetTotal, total)
    return total
  }

  /** Watch observers for the pods and ReplicaSets of `labelSelector`; `sample` gets each count. */
  observers(namespace: string, labelSelector: string, sample?: (series: 'pods' | 'ReplicaSet sizes', value: number, pods?: ObservedObject[]) => void): SurgeObservers {
    return {
      pods: {
        selection: { apiVersion: 'v1', kind: 'Pod', namespace, labelSelector },
        onListed: (pods) => sample?.('pods', this.pods(pods), pods),
        onChange: (pods, _type, pod) => sample?.('pods', this.pods(pods, pod), pods),
      },
      replicaSets: {
        selection: { apiVersion: 'apps/v1', kind: 'ReplicaSet', namespace, labelSelector },
        onListed: (sets) => sample?.('ReplicaSet sizes', this.replicaSets(sets)),
        onChange: (_sets, _type, rs) => sample?.('ReplicaSet sizes', this.replicaSets([rs], true)),
      },
    }
  }

  /** Decided once observation ended: a ReplicaSet change can arrive after the pod change it preceded. */
  verdict(): SurgeVerdict {
    const moments = this.above.map((moment) => ({ ...moment, unexplained: this.unexplained(moment) }))
    return {
      maxPods: this.maxPods,
      maxLivePods: this.maxLivePods,
      maxReplicaSetTotal: this.maxReplicaSetTotal,
      moments,
      changes: { ...this.changes },
      holds: this.maxReplicaSetTotal <= this.maxPods && moments.every((m) => m.unexplained === 0),
    }
  }

  /** Pods above the bound that no ReplicaSet, sized as of that instant, had been shrunk for. */
  private unexplained({ resourceVersion, livePods, liveByReplicaSet }: MomentAboveBound): number {
    let awaitingRemoval = 0
    for (const [name, pods] of liveByReplicaSet) {
      const size = [...(this.sizes.get(name) ?? [])].reverse().find((s) => s.at <= resourceVersion)?.replicas
      awaitingRemoval += size === undefined ? 0 : Math.max(0, pods - size)
    }
    return Math.max(0, livePods - this.maxPods - awaitingRemoval)
  }
}

/** A moment as the report shows it. */
export function describeMoment(moment: SurgeVerdict['moments'][number], maxPods: number): string {
  const sets = [...moment.liveByReplicaSet].map(([rs, n]) => `${rs}: ${n}`).join(', ')
  return `above desired + maxSurge (${maxPods}): ${moment.livePods} live pods at resourceVersion ${moment.resourceVersion} (${sets}); ${moment.unexplained} not awaiting removal`
}

function maxByVersion(objects: readonly ObservedObject[]): ObservedObject {
  return objects.reduce((a, b) => (BigInt(b.metadata.resourceVersion) > BigInt(a.metadata.resourceVersion) ? b : a))
}

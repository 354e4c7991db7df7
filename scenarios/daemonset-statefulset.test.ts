// Recipe 4, "Ensuring flexible usage of your containers": a DaemonSet follows the nodes (one pod
// each, including a node that joins mid-scenario); a Deployment's pods are interchangeable; a
// StatefulSet's pods keep their names, DNS names and volumes.
import { describe, expect } from 'vitest'
import {
  WatchHistory,
  addNode,
  claimsBound,
  daemonSetReady,
  deletePod,
  exec,
  isPodReady,
  onePodPerNode,
  podReady,
  podsReady,
  resourcesGone,
  retryUntil,
  scale,
  serviceEndpointsReady,
  someObject,
  useScenario,
  waitForLogs,
  type WatchEventType,
  type HistoryEvent,
  type ObservedObject,
} from '../lib/index.js'

const s = useScenario('daemonset-statefulset', { nodes: 2 })
const STATEFULSET_TIMEOUT_MS = 180_000
const DAEMONSET_TIMEOUT_MS = 180_000
const DNS_TIMEOUT_MS = 60_000
const ramCheck = 'app=ram-check'
const store = 'web-store'
const storePods = 'app=web-store'
// busybox `free`: "Mem:" then total, used and free as numbers.
const FREE_FIGURES = /^Mem:\s+\d+\s+\d+\s+\d+/m

describe.concurrent('daemonset-statefulset', () => {
  // One DaemonSet, in order: D2 adds a node, which D1 must not see mid-count.
  describe('ram-check DaemonSet', () => {
    s.test.sequential('D1 ram-check runs exactly one pod on each schedulable node, and its logs show memory figures', async () => {
      await s.step('apply the ram-check DaemonSet', () => s.apply('daemonset-statefulset/ram-check.yaml'))
      const nodes = await s.step('list the nodes a DaemonSet pod may run on', () => schedulableNodes())
      expect(nodes.length).toBeGreaterThanOrEqual(2)
      const pods = await s.step(`wait for one Ready ram-check pod on each of ${nodes.length} nodes`, () =>
        s.waitFor(onePodPerNode(s.namespace, ramCheck, nodes), { timeoutMs: DAEMONSET_TIMEOUT_MS }),
      )
      expect(pods.map(nodeOf).sort()).toEqual([...nodes].sort())
      const daemonSet = await s.waitFor(daemonSetReady(s.namespace, 'ram-check', nodes.length))
      expect(daemonSet.status?.currentNumberScheduled).toBe(nodes.length)
      for (const pod of pods) {
        const text = await s.step(`wait for memory figures in the logs of ${pod.metadata.name}`, () =>
          waitForLogs(s.api, ref(pod), (l) => FREE_FIGURES.test(l), { description: `${pod.metadata.name} logged a Mem: line` }),
        )
        expect(text).toMatch(FREE_FIGURES)
      }
    })

    s.test.sequential('D2 a node joining the running cluster gets a ram-check pod: the desired count grows by one', async () => {
      await s.apply('daemonset-statefulset/ram-check.yaml')
      const before = await s.waitFor(daemonSetReady(s.namespace, 'ram-check'), { timeoutMs: DAEMONSET_TIMEOUT_MS })
      const desiredBefore = Number(before.status?.desiredNumberScheduled)
      const startedAt = Date.now()
      const node = await s.step('add a node to the running cluster', () => addNode(s.cluster))
      const joinedAt = Date.now()
      s.timeline.note(`adding node ${node} took ${seconds(joinedAt - startedAt)} s (container start to Node Ready)`)

      const daemonSet = await s.step('wait until ram-check wants and runs one more pod', () =>
        s.waitFor(daemonSetReady(s.namespace, 'ram-check', desiredBefore + 1), { timeoutMs: DAEMONSET_TIMEOUT_MS }),
      )
      expect(daemonSet.status?.numberReady).toBe(desiredBefore + 1)
      const pod = await s.step(`wait for a Ready ram-check pod on ${node}`, () =>
        s.waitFor(someObject(podSelection(ramCheck), `a ram-check pod is Ready on ${node}`, (p) => nodeOf(p) === node && isPodReady(p)), { timeoutMs: DAEMONSET_TIMEOUT_MS }),
      )
      s.timeline.note(`ram-check pod ${pod.metadata.name} was Ready on ${node} ${seconds(Date.now() - joinedAt)} s after the node was`)
      const nodes = await schedulableNodes()
      expect(nodes).toContain(node)
      await s.waitFor(onePodPerNode(s.namespace, ramCheck, nodes))
    })

    s.test.sequential('D3 a deleted DaemonSet pod is replaced by a pod with a new name on the same node', async () => {
      await s.apply('daemonset-statefulset/ram-check.yaml')
      const nodes = await schedulableNodes()
      const pods = await s.waitFor(onePodPerNode(s.namespace, ramCheck, nodes), { timeoutMs: DAEMONSET_TIMEOUT_MS })
      const victim = pods.at(-1)!
      const node = nodeOf(victim)
      await s.step(`delete ${victim.metadata.name} (on ${node})`, () => deletePod(s.api, ref(victim)))
      const replacement = await s.step(`wait for a replacement on ${node}`, () =>
        s.waitFor(
          someObject(podSelection(ramCheck), `a ram-check pod other than ${victim.metadata.name} is Ready on ${node}`, (p) => nodeOf(p) === node && p.metadata.name !== victim.metadata.name && isPodReady(p)),
          { timeoutMs: DAEMONSET_TIMEOUT_MS },
        ),
      )
      expect(replacement.metadata.ownerReferences?.map((o) => `${o.kind}/${o.name}`)).toEqual(['DaemonSet/ram-check'])
      await s.step(`wait until ${victim.metadata.name} is gone`, () => s.waitFor(resourcesGone(podSelection(ramCheck, victim.metadata.name), `pod ${victim.metadata.name}`)))
      await s.waitFor(onePodPerNode(s.namespace, ramCheck, nodes))
    })
  })

  s.test('D4 a deleted Deployment pod is replaced under a new name, and its old IP belongs to no live pod', async () => {
    await s.step('apply my-nginx and dns-client', () => s.apply('daemonset-statefulset/my-nginx.yaml', 'daemonset-statefulset/dns-client.yaml'))
    const [victim, survivor] = await s.waitFor(podsReady(s.namespace, 'app=my-nginx', 2))
    const oldIp = String(victim!.status?.podIP)
    // CoreDNS's `pods insecure` answers any <ip-with-dashes> name with that IP, live pod or not:
    // the name of a pod's IP identifies nothing once the pod is gone.
    await s.waitFor(podReady(s.namespace, 'dns-client'))
    const oldName = `${oldIp.replaceAll('.', '-')}.${s.namespace}.pod.cluster.local`
    // The same lookup finds the live pod before the deletion: the check below can fail.
    const whileLive = await s.step(`resolve ${oldName} while ${victim!.metadata.name} lives`, () => lookup(oldName))
    expect(whileLive).toEqual({ answer: 'addresses', addresses: [oldIp] })
    await s.step(`delete ${victim!.metadata.name} (IP ${oldIp})`, () => deletePod(s.api, ref(victim!)))
    const after = await s.step('wait until 2 Ready pods remain and nothing else', () => s.waitFor(podsReady(s.namespace, 'app=my-nginx', 2)))
    const replacement = after.find((p) => p.metadata.name !== survivor!.metadata.name)!
    expect(after.map((p) => p.metadata.name)).toContain(survivor!.metadata.name)
    expect(replacement.metadata.name).not.toBe(victim!.metadata.name)
    expect(replacement.metadata.name).toMatch(/^my-nginx-[a-z0-9]+-[a-z0-9]+$/)

    await s.step(`wait until no pod in the namespace has IP ${oldIp}`, () =>
      s.waitFor(resourcesGone({ apiVersion: 'v1', kind: 'Pod', namespace: s.namespace, fieldSelector: `status.podIP=${oldIp}` }, `a pod with IP ${oldIp}`)),
    )
    const resolved = await s.step(`resolve ${oldName} after the deletion`, () => lookup(oldName))
    s.timeline.note(`${oldName}: ${resolved.answer} ${JSON.stringify(resolved.addresses)}`)
    // Decided only by an answer: addresses, or the name does not exist. A failed lookup is not "no longer points".
    expect(resolved.answer, `nslookup ${oldName}: ${resolved.output}`).not.toBe('failed')
    const liveIps = (await s.api.core.listNamespacedPod({ namespace: s.namespace })).items.map((p) => p.status?.podIP)
    expect(liveIps).not.toContain(oldIp)
    for (const address of resolved.addresses) expect(liveIps, `${oldName} points at ${address}`).not.toContain(address)
  })

  // One StatefulSet, in order: D6 deletes a pod and D7 scales the set that D5 brought up.
  describe('web-store StatefulSet', () => {
    s.test.sequential('D5 web-store pods come up in order 0, 1, 2 and each resolves as <pod>.web-store through the headless Service', async () => {
      const history = new WatchHistory()
      const pods = await s.during(history.watching(podSelection(storePods)), async () => {
        await s.step('apply web-store (headless Service + StatefulSet) and dns-client', () =>
          s.apply('daemonset-statefulset/web-store.yaml', 'daemonset-statefulset/dns-client.yaml'),
        )
        return s.step('wait for 3 Ready web-store pods', () => s.waitFor(podsReady(s.namespace, storePods, 3), { timeoutMs: STATEFULSET_TIMEOUT_MS }))
      })
      expect(pods.map((p) => p.metadata.name)).toEqual(ordinalNames(0, 3))
      for (let n = 1; n < 3; n++) {
        const previous = firstEvent(history.events, `${store}-${n - 1}`, (e) => isPodReady(e.object))
        const created = firstEvent(history.events, `${store}-${n}`, (e) => e.type === 'ADDED')
        expect(previous, `${store}-${n - 1} was observed Ready`).toBeDefined()
        expect(created, `${store}-${n} was observed created`).toBeDefined()
        s.timeline.note(`${store}-${n} created ${seconds(created!.at - previous!.at)} s after ${store}-${n - 1} was Ready`)
        expect(history.events.indexOf(created!), `${store}-${n} was created after ${store}-${n - 1} was Ready`).toBeGreaterThan(history.events.indexOf(previous!))
      }

      await s.step('wait until the headless Service lists the 3 pods', () => s.waitFor(serviceEndpointsReady(s.namespace, store, 3)))
      await s.waitFor(podReady(s.namespace, 'dns-client'))
      for (const pod of pods) {
        const name = `${pod.metadata.name}.${store}.${s.namespace}.svc.cluster.local`
        const addresses = await s.step(`resolve ${name} from dns-client`, () => resolvesTo(name, String(pod.status?.podIP)))
        expect(addresses).toEqual([pod.status?.podIP])
      }
    })

    s.test.sequential('D6 web-store-1 deleted comes back with the same name and the same PVC, and its data is read back', async () => {
      await s.apply('daemonset-statefulset/web-store.yaml')
      const pods = await s.waitFor(podsReady(s.namespace, storePods, 3), { timeoutMs: STATEFULSET_TIMEOUT_MS })
      const claims = await s.step('wait until the 3 claims are Bound', () => s.waitFor(claimsBound(s.namespace, storePods, 3), { timeoutMs: STATEFULSET_TIMEOUT_MS }))
      expect(claims.map((c) => c.metadata.name).sort()).toEqual(ordinalNames(0, 3).map(claimOf))
      for (const pod of pods) expect(claimMountedBy(pod)).toBe(claimOf(pod.metadata.name))

      const target = pods.find((p) => p.metadata.name === `${store}-1`)!
      const claim = claims.find((c) => c.metadata.name === claimOf(target.metadata.name))!
      const proof = `written to ${target.metadata.name} at ${new Date().toISOString()}`
      const written = await s.step(`write a file into ${target.metadata.name}'s volume`, () => exec(s.api, ref(target), ['sh', '-c', 'echo "$1" > /data/proof', 'sh', proof]))
      expect(written.exitCode, written.stderr).toBe(0)

      const oldUid = await s.step(`delete ${target.metadata.name}`, () => deletePod(s.api, ref(target)))
      const back = await s.step(`wait until ${target.metadata.name} is back and Ready`, () =>
        s.waitFor(
          someObject(podSelection(storePods, target.metadata.name), `a new ${target.metadata.name} is Ready`, (p) => p.metadata.uid !== oldUid && isPodReady(p)),
          { timeoutMs: STATEFULSET_TIMEOUT_MS },
        ),
      )
      expect(claimMountedBy(back)).toBe(claim.metadata.name)
      const claimAfter = await s.api.core.readNamespacedPersistentVolumeClaim({ namespace: s.namespace, name: claim.metadata.name })
      expect(claimAfter.metadata?.uid).toBe(claim.metadata.uid)
      expect(claimAfter.status?.phase).toBe('Bound')
      // The local volume lives on one node; its PV's node affinity brings the pod back there.
      expect(nodeOf(back)).toBe(nodeOf(target))
      const read = await s.step(`read the file back from the new ${target.metadata.name}`, () => exec(s.api, ref(back), ['cat', '/data/proof']))
      expect(read.stdout.trim()).toBe(proof)
    })

    s.test.sequential('D7 scaling web-store 3 -> 6 adds ordinals 3..5 with three new PVCs; scaling back to 3 keeps all six PVCs', async () => {
      await s.apply('daemonset-statefulset/web-store.yaml')
      await s.waitFor(podsReady(s.namespace, storePods, 3), { timeoutMs: STATEFULSET_TIMEOUT_MS })
      const before = await s.waitFor(claimsBound(s.namespace, storePods, 3), { timeoutMs: STATEFULSET_TIMEOUT_MS })

      await s.step('scale web-store to 6', () => scale(s.api, { kind: 'StatefulSet', namespace: s.namespace, name: store, replicas: 6 }))
      const six = await s.step('wait for 6 Ready pods', () => s.waitFor(podsReady(s.namespace, storePods, 6), { timeoutMs: 2 * STATEFULSET_TIMEOUT_MS }))
      expect(six.map((p) => p.metadata.name).sort()).toEqual(ordinalNames(0, 6))
      const claims = await s.step('wait until 6 claims are Bound', () => s.waitFor(claimsBound(s.namespace, storePods, 6), { timeoutMs: STATEFULSET_TIMEOUT_MS }))
      const added = claims.filter((c) => !before.some((b) => b.metadata.uid === c.metadata.uid))
      expect(added.map((c) => c.metadata.name).sort()).toEqual(ordinalNames(3, 6).map(claimOf))

      const deletedClaims: string[] = []
      const allClaims = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: s.namespace }
      const recordDeletions = (_all: ObservedObject[], type: WatchEventType, claim: ObservedObject) => {
        if (type === 'DELETED') deletedClaims.push(claim.metadata.name)
      }
      await s.during({ selection: allClaims, onChange: recordDeletions }, async () => {
        await s.step('scale web-store back to 3', () => scale(s.api, { kind: 'StatefulSet', namespace: s.namespace, name: store, replicas: 3 }))
        const three = await s.step('wait until only pods 0..2 remain', () => s.waitFor(podsReady(s.namespace, storePods, 3), { timeoutMs: STATEFULSET_TIMEOUT_MS }))
        expect(three.map((p) => p.metadata.name).sort()).toEqual(ordinalNames(0, 3))
      })
      expect(deletedClaims).toEqual([])
      const kept = (await s.api.core.listNamespacedPersistentVolumeClaim({ namespace: s.namespace, labelSelector: storePods })).items
      expect(kept.map((c) => c.metadata?.uid).sort()).toEqual(claims.map((c) => c.metadata.uid).sort())
      expect(kept.every((c) => c.status?.phase === 'Bound')).toBe(true)
    })
  })
})

// Taints the DaemonSet controller tolerates on every DaemonSet pod (so cordoned nodes count too).
const DAEMONSET_TOLERATED_TAINTS = new Set(
  ['not-ready:NoExecute', 'unreachable:NoExecute', 'disk-pressure:NoSchedule', 'memory-pressure:NoSchedule', 'pid-pressure:NoSchedule', 'unschedulable:NoSchedule'].map((t) => `node.kubernetes.io/${t}`),
)

/** Names of the nodes, read from the API, that a DaemonSet pod without tolerations may run on. */
async function schedulableNodes(): Promise<string[]> {
  const nodes = (await s.api.core.listNode()).items
  return nodes
    .filter((node) => (node.spec?.taints ?? []).every((t) => t.effect === 'PreferNoSchedule' || DAEMONSET_TOLERATED_TAINTS.has(`${t.key}:${t.effect}`)))
    .map((node) => node.metadata!.name!)
}

/** The addresses the dns-client pod's `nslookup` answers for a name (none when it does not exist). */
interface Lookup {
  /** addresses: the server answered with records; nonexistent: NXDOMAIN; failed: no answer (timeout, SERVFAIL...). */
  answer: 'addresses' | 'nonexistent' | 'failed'
  addresses: string[]
  output?: string
}

async function lookup(name: string): Promise<Lookup> {
  const { stdout, stderr } = await exec(s.api, { namespace: s.namespace, name: 'dns-client' }, ['nslookup', name])
  // The answers follow the "Name:" line; the "Address:" above it is the DNS server's.
  const nameLine = stdout.indexOf('Name:')
  const addresses = nameLine < 0 ? [] : [...new Set([...stdout.slice(nameLine).matchAll(/^Address(?: \d+)?:\s*([0-9a-f.:]+)/gm)].map((m) => m[1]!))]
  if (addresses.length) return { answer: 'addresses', addresses }
  const output = `${stdout}${stderr}`.trim()
  return { answer: /NXDOMAIN/.test(output) ? 'nonexistent' : 'failed', addresses, output }
}

/** Resolves a name until it answers `ip` (a new record may take a moment to reach CoreDNS). */
function resolvesTo(name: string, ip: string): Promise<string[]> {
  return retryUntil(
    async () => {
      const { addresses, answer, output } = await lookup(name)
      return addresses.includes(ip) ? { value: addresses } : { reason: `${answer}: ${JSON.stringify(addresses)} ${output ?? ''}` }
    },
    { description: `${name} resolves to ${ip}`, timeoutMs: DNS_TIMEOUT_MS, retryMs: 1000 },
  )
}

function firstEvent(events: readonly HistoryEvent[], pod: string, match: (e: HistoryEvent) => boolean): HistoryEvent | undefined {
  return events.find((e) => e.object.metadata.name === pod && match(e))
}

function claimMountedBy(pod: ObservedObject): string | undefined {
  const volumes = (pod.spec?.volumes ?? []) as Array<{ name: string; persistentVolumeClaim?: { claimName: string } }>
  return volumes.find((v) => v.name === 'data')?.persistentVolumeClaim?.claimName
}

const claimOf = (pod: string) => `data-${pod}`
const ordinalNames = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `${store}-${from + i}`)
const podSelection = (labelSelector: string, name?: string) => ({ apiVersion: 'v1', kind: 'Pod', namespace: s.namespace, labelSelector, name })
const ref = (pod: ObservedObject) => ({ namespace: s.namespace, name: pod.metadata.name })
const nodeOf = (pod: ObservedObject) => String(pod.spec?.nodeName)
const seconds = (ms: number) => (ms / 1000).toFixed(1)

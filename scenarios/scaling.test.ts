// Recipe 1, "Scaling your containers": my-nginx scaled by hand, with a precondition, and by an HPA.
import { describe, expect } from 'vitest'
import {
  ScalePreconditionError,
  deploymentRolledOut,
  isPodReady,
  objectsMatch,
  podsReady,
  scale,
  scaleDownVictims,
  serviceEndpointsReady,
  someObject,
  startLoadGenerator,
  useScenario,
  waitForHttp,
  type ObservedObject,
  type WatchEventType,
  nodePortUrlOf,
  statusCondition,
} from '../lib/index.js'

const s = useScenario('scaling')
const deployment = 'my-nginx'
const pods = 'service=nginx'
const HPA_TIMEOUT_MS = 6 * 60_000

/** Where S2..S4 start, as S1 leaves it: my-nginx applied with two Ready pods (applying again changes nothing). */
const givenMyNginx = () =>
  s.step('given my-nginx with 2 Ready pods', async () => {
    await s.apply('scaling/my-nginx.yaml')
    return s.waitFor(podsReady(s.namespace, pods, 2))
  })

describe('scaling', () => {
  s.test('S1 both pods become Ready and the Service has 2 endpoints', async () => {
    await s.step('apply my-nginx Deployment and NodePort Service', () => s.apply('scaling/my-nginx.yaml'))
    const ready = await s.step('wait for 2 Ready pods', () => s.waitFor(podsReady(s.namespace, pods, 2)))
    const endpoints = await s.step('wait for the Service endpoints', () => s.waitFor(serviceEndpointsReady(s.namespace, 'my-nginx', 2)))
    expect(endpoints).toEqual(ready.map((p) => p.status?.podIP).sort())
    // kube-proxy programs the NodePort asynchronously: the first answers may still be refusals.
    const page = await s.step('GET the NodePort from the test process', () =>
      waitForHttp(nodePortUrlOf(s.cluster, 30080), (r) => r.status === 200, { description: 'the my-nginx NodePort answers', timeoutMs: 30_000 }),
    )
    expect(page.body).toContain('Welcome to nginx!')
  })

  s.test('S2 scaling 2 -> 4 gives four Ready pods; 4 -> 2 terminates two and keeps two', async () => {
    const original = (await givenMyNginx()).map(nameOf)
    await s.step('scale to 4', () => scale(s.api, { kind: 'Deployment', namespace: s.namespace, name: deployment, replicas: 4 }))
    const four = await s.step('wait for 4 Ready pods', () => s.waitFor(podsReady(s.namespace, pods, 4)))
    expect(four.map(nameOf)).toEqual(expect.arrayContaining(original))

    // A pod that turns unready before the controller decides goes first, whatever its age. The
    // controller decided after the scale was asked for and before its first deletion was seen.
    let firstDeletionSeenAt: number | undefined
    const turnedUnready = new Set<string>()
    const podChanges = {
      selection: { apiVersion: 'v1', kind: 'Pod', namespace: s.namespace, labelSelector: pods },
      onChange(_all: ObservedObject[], _type: WatchEventType, pod: ObservedObject) {
        if (pod.metadata.deletionTimestamp) firstDeletionSeenAt ??= Date.now()
        else if (firstDeletionSeenAt === undefined && !isPodReady(pod)) turnedUnready.add(nameOf(pod))
      },
    }
    await s.during(podChanges, async () => {
      const candidates = four.map(candidate)
      const askedAt = Date.now()
      await s.step('scale to 2', () => scale(s.api, { kind: 'Deployment', namespace: s.namespace, name: deployment, replicas: 2 }))
      const two = await s.step('wait until exactly 2 pods remain', () => s.waitFor(podsReady(s.namespace, pods, 2)))
      const survivors = two.map(nameOf).sort()
      const victims = four.map(nameOf).filter((n) => !survivors.includes(n)).sort()
      expect(four.map(nameOf)).toEqual(expect.arrayContaining(survivors))
      expect(victims).toHaveLength(2)
      // Which two go is the controller's choice (ActivePodsWithRanks: pods on crowded nodes first,
      // then the more recently Ready on a log2 scale of age, UIDs within a bucket). Asserted when
      // that ranking, fed with what we observed, has one answer whatever order the controller's
      // informer lists the pods in; otherwise the report says it is undecided.
      const decided = { after: askedAt, before: firstDeletionSeenAt ?? Date.now() }
      const expectedVictims = scaleDownVictims(candidates, 2, decided)
      const clock = (ms: number, digits = 23) => new Date(ms).toISOString().slice(11, digits)
      const inputs = candidates.map((c) => `${c.name} ready ${clock(c.readySince, 19)} uid ${c.uid.slice(0, 8)} on ${c.node}`)
      s.timeline.note(`victims ${victims.join(', ')}; originals ${[...original].sort().join(', ')}; decided between ${clock(decided.after)} and ${clock(decided.before)}; ${inputs.join('; ')}`)
      const undecidedBecause = turnedUnready.size
        ? `${[...turnedUnready].join(', ')} turned unready before the controller decided`
        : expectedVictims === undefined
          ? 'the ranking has no single answer from what was observed (pods tied across the cut, an order that depends on how the informer lists them, or a log2 age bucket edge inside the decision window)'
          : undefined
      if (undecidedBecause) s.timeline.undecided('which two pods the ReplicaSet removes', undecidedBecause)
      else expect(victims, 'the pods the ReplicaSet ranking puts first are the ones removed').toEqual(expectedVictims)
    })
  })

  s.test('S3 a scale with a wrong --current-replicas precondition is refused and changes nothing', async () => {
    await givenMyNginx()
    const before = await s.api.apps.readNamespacedDeployment({ namespace: s.namespace, name: deployment })
    const refused = await s.step('scale to 3 expecting 5 current replicas', () =>
      scale(s.api, { kind: 'Deployment', namespace: s.namespace, name: deployment, replicas: 3, currentReplicas: 5 }).then(
        () => undefined,
        (error: unknown) => error,
      ),
    )
    expect(refused).toBeInstanceOf(ScalePreconditionError)
    expect((refused as Error).message).toMatch(/expected current replicas 5, found 2; nothing was changed/)
    const after = await s.api.apps.readNamespacedDeployment({ namespace: s.namespace, name: deployment })
    expect(after.spec?.replicas).toBe(2)
    expect(after.metadata?.generation).toBe(before.metadata?.generation)

    await s.step('scale to 3 expecting the true count, 2', () =>
      scale(s.api, { kind: 'Deployment', namespace: s.namespace, name: deployment, replicas: 3, currentReplicas: 2 }),
    )
    await s.waitFor(podsReady(s.namespace, pods, 3))
    await scale(s.api, { kind: 'Deployment', namespace: s.namespace, name: deployment, replicas: 2 })
    await s.waitFor(podsReady(s.namespace, pods, 2))
  })

  s.test('S4 an HPA scales my-nginx above 2 under load, never past 5, and back to 2 after', async () => {
    await givenMyNginx()
    await s.step('apply the HPA (2..5 replicas at 50% CPU)', () => s.apply('scaling/my-nginx-hpa.yaml'))
    const hpa = { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', namespace: s.namespace, name: deployment }
    await s.step('wait until the CPU metric is known', () =>
      s.waitFor(someObject(hpa, 'the HPA reports a current CPU utilisation', (h) => cpuUtilisation(h) !== undefined), { timeoutMs: HPA_TIMEOUT_MS }),
    )

    // "Never past 5" is counted on what the HPA drives, not on the HPA's own (self-capped) status:
    // the Deployment's desired replicas and the live pods.
    const most = { desired: 0, pods: 0 }
    const observers = [
      {
        selection: hpa,
        onChange(_all: ObservedObject[], _type: WatchEventType, h: ObservedObject) {
          s.timeline.sample('hpa replicas', Number(h.status?.currentReplicas ?? 0))
          const cpu = cpuUtilisation(h)
          if (cpu !== undefined) s.timeline.sample('cpu %', cpu)
        },
      },
      {
        selection: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: s.namespace, name: deployment },
        onListed: ([d]: ObservedObject[]) => (most.desired = Math.max(most.desired, Number(d?.spec?.replicas ?? 0))),
        onChange: (_all: ObservedObject[], _type: WatchEventType, d: ObservedObject) => (most.desired = Math.max(most.desired, Number(d.spec?.replicas ?? 0))),
      },
      {
        selection: { apiVersion: 'v1', kind: 'Pod', namespace: s.namespace, labelSelector: pods },
        onChange(all: ObservedObject[]) {
          const live = all.filter((p) => !p.metadata.deletionTimestamp).length
          most.pods = Math.max(most.pods, live)
          s.timeline.sample('pods', live)
        },
      },
    ]
    await s.during(observers, async () => {
      const load = await s.step('start in-cluster load against the Service', () =>
        startLoadGenerator(s.api, { namespace: s.namespace, targetUrl: `http://my-nginx.${s.namespace}.svc`, workers: 6, imageOverrides: s.cluster.imageOverrides }),
      )
      const scaledUp = await s.step('wait until the HPA scales above 2 replicas', () =>
        s.waitFor(someObject(hpa, 'the HPA runs more than 2 replicas', (h) => Number(h.status?.currentReplicas ?? 0) > 2), { timeoutMs: HPA_TIMEOUT_MS }),
      )
      await s.step('wait until the Deployment has rolled out the new count', () =>
        s.waitFor(deploymentRolledOut(s.namespace, deployment, Number(scaledUp.status?.currentReplicas)), { timeoutMs: HPA_TIMEOUT_MS }),
      )
      await s.step('stop the load', () => load.stop())
      await s.step('wait until the HPA is back at 2 replicas', () =>
        s.waitFor(
          objectsMatch({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: s.namespace, name: deployment }, 'my-nginx is back at 2 available replicas', ([d]) =>
            Boolean(d && d.spec?.replicas === 2 && d.status?.availableReplicas === 2),
          ),
          { timeoutMs: HPA_TIMEOUT_MS },
        ),
      )
    })
    expect(most.desired).toBeGreaterThan(2)
    expect(most.desired).toBeLessThanOrEqual(5)
    expect(most.pods).toBeGreaterThan(2)
    expect(most.pods).toBeLessThanOrEqual(5)
  })
})

/** What the ReplicaSet controller weighs about a Ready pod when it scales down. */
function candidate(pod: ObservedObject) {
  const ready = statusCondition(pod, 'Ready')
  const statuses = (pod.status?.containerStatuses ?? []) as Array<{ restartCount: number }>
  return {
    name: nameOf(pod),
    uid: pod.metadata.uid,
    node: String(pod.spec?.nodeName),
    readySince: Date.parse(ready!.lastTransitionTime!),
    createdAt: Date.parse(pod.metadata.creationTimestamp!),
    restarts: statuses.reduce((sum, c) => sum + c.restartCount, 0),
  }
}

function nameOf(pod: ObservedObject): string {
  return pod.metadata.name
}

function cpuUtilisation(hpa: ObservedObject): number | undefined {
  const metrics = (hpa.status?.currentMetrics ?? []) as Array<{ resource?: { name: string; current?: { averageUtilization?: number } } }>
  return metrics.find((m) => m.resource?.name === 'cpu')?.resource?.current?.averageUtilization
}

// Recipe 2, "Updating live containers": rolling updates, history, rollbacks, Recreate, apply-based
// updates, the advanced knobs, and serving under load while the image changes.
import { describe, expect } from 'vitest'
import {
  deploymentRolledOut,
  eventsFor,
  isPodReady,
  patchPodTemplate,
  podsReady,
  rollback,
  rolloutHistory,
  setImage,
  failuresOfTheService,
  startHttpLoad,
  withLoadTurn,
  useScenario,
  waitForHttp,
  type ObservedObject,
  type WatchEventType,
  nodePortUrlOf,
  statusCondition,
  SurgeBound,
  describeMoment,
} from '../lib/index.js'

const s = useScenario('rolling-update')
const HAPPY = 'Happy Programming with Kubernetes!'
const simple = 'simple-nginx'
const simplePods = 'project=My-Happy-Web,role=frontend,env=test'

describe.concurrent('rolling-update', () => {
  // One Deployment through its revisions: each test starts where the previous one left it.
  describe('simple-nginx revisions', () => {
    s.test.sequential('U1 the default strategy is RollingUpdate 25%/25% and the ReplicaSet is named <deployment>-<pod-template-hash>', async () => {
      await s.step('apply simple-nginx and nginx-service', () => s.apply('rolling-update/simple-nginx.yaml'))
      const deployment = await s.step('wait for the rollout', () => s.waitFor(deploymentRolledOut(s.namespace, simple, 5)))
      expect(deployment.spec?.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } })
      const [revision] = await rolloutHistory(s.api, ref(simple))
      const pods = await s.waitFor(podsReady(s.namespace, simplePods, 5))
      const hash = pods[0]!.metadata.labels?.['pod-template-hash']
      expect(revision?.replicaSet).toBe(`${simple}-${hash}`)
      expect(new Set(pods.map((p) => p.metadata.labels?.['pod-template-hash']))).toEqual(new Set([hash]))
      const page = await s.step('GET nginx-service through its NodePort', () =>
        waitForHttp(nodePortUrlOf(s.cluster, 30082), (r) => r.status === 200, { description: 'the nginx-service NodePort answers', timeoutMs: 30_000 }),
      )
      expect(page.body).toContain('Welcome to nginx!')
    })

    // builds on: U1
    s.test.sequential('U2 a pod template update with a change-cause rolls out a second ReplicaSet, scaling up and down in turn', async () => {
      const scalingEvents: string[] = []
      // Only changes count: the listed state holds U1's events, not this update's.
      const deploymentEvents = {
        selection: { apiVersion: 'v1', kind: 'Event', namespace: s.namespace, fieldSelector: `involvedObject.kind=Deployment,involvedObject.name=${simple}` },
        onChange(_all: ObservedObject[], type: WatchEventType, e: ObservedObject) {
          const { reason, message } = e as unknown as { reason: string; message: string }
          if (type === 'ADDED' && reason === 'ScalingReplicaSet') scalingEvents.push(message.replace(/^\(combined from similar events\): /, ''))
        },
      }
      await s.during(deploymentEvents, async () => {
        await s.step('update the container command (writes the Happy page)', () =>
          patchPodTemplate(
            s.api,
            ref(simple),
            { spec: { containers: [{ name: 'nginx', command: ['sh', '-c', `echo "${HAPPY}" > /usr/share/nginx/html/index.html && nginx -g "daemon off;"`] }] } as never },
            'write the Happy Programming page',
          ),
        )
        await s.step('wait for the rollout to complete', () => s.waitFor(deploymentRolledOut(s.namespace, simple, 5)))
        await s.step('wait for the last old pod to go', () => s.waitFor(podsReady(s.namespace, simplePods, 5)))
      })
      const history = await rolloutHistory(s.api, ref(simple))
      expect(history.map((r) => r.revision)).toEqual([1, 2])
      const [oldRs, newRs] = history.map((r) => r.replicaSet)
      const directions = scalingEvents.map((m) => (m.startsWith(`Scaled up replica set ${newRs}`) ? 'up' : m.startsWith(`Scaled down replica set ${oldRs}`) ? 'down' : `other: ${m}`))
      expect(directions[0], scalingEvents.join('\n')).toBe('up')
      expect(directions.at(-1), scalingEvents.join('\n')).toBe('down')
      // Up and down alternate while both ReplicaSets change; once the new one is complete, the old
      // one's last replicas go as the new pods become available.
      const lastUp = directions.lastIndexOf('up')
      directions.forEach((d, i) => expect(d, `event ${i + 1} of:\n${scalingEvents.join('\n')}`).toBe(i <= lastUp && i % 2 === 0 ? 'up' : 'down'))
      await s.step('the Service answers with the new page', () =>
        waitForHttp(nodePortUrlOf(s.cluster, 30082), (r) => r.body.includes(HAPPY), { description: 'nginx-service serves the Happy page' }),
      )
    })

    // builds on: U1 U2
    s.test.sequential('U4 setting a new image creates a third ReplicaSet; history lists revisions 1, 2, 3 with their change-causes', async () => {
      await s.step('set image nginx:1.28', () =>
        setImage(s.api, ref(simple), 'nginx', 'nginx:1.28', { changeCause: 'set image nginx=nginx:1.28', imageOverrides: s.cluster.imageOverrides }),
      )
      await s.step('wait for the rollout', () => s.waitFor(deploymentRolledOut(s.namespace, simple, 5)))
      const history = await rolloutHistory(s.api, ref(simple))
      expect(history.map((r) => [r.revision, r.changeCause])).toEqual([
        [1, 'create simple-nginx from simple-nginx.yaml'],
        [2, 'write the Happy Programming page'],
        [3, 'set image nginx=nginx:1.28'],
      ])
      expect(new Set(history.map((r) => r.replicaSet)).size).toBe(3)
    })

    // builds on: U1 U2 U4
    s.test.sequential('U5 rolling back to revision 1 renumbers it as 4; a plain rollback returns to the previous revision', async () => {
      const before = await rolloutHistory(s.api, ref(simple))
      const rs = Object.fromEntries(before.map((r) => [r.revision, r.replicaSet]))
      await s.step('roll back to revision 1', () => rollback(s.api, ref(simple), 1))
      await s.step('wait for the rollout', () => s.waitFor(deploymentRolledOut(s.namespace, simple, 5)))
      let pods = await s.waitFor(podsReady(s.namespace, simplePods, 5))
      expect(new Set(pods.map(ownerName))).toEqual(new Set([rs[1]]))
      let history = await rolloutHistory(s.api, ref(simple))
      expect(history.map((r) => [r.revision, r.replicaSet])).toEqual([[2, rs[2]], [3, rs[3]], [4, rs[1]]])
      // As kubectl shows them: a rolled-back revision keeps the change-cause it was recorded with.
      const cause = Object.fromEntries(before.map((r) => [r.revision, r.changeCause]))
      expect(history.map((r) => [r.revision, r.changeCause])).toEqual([[2, cause[2]], [3, cause[3]], [4, cause[1]]])
      expect(history.filter((r) => r.replicaSet !== rs[1]).map((r) => r.replicas)).toEqual([0, 0])
      await s.step('the Service answers with the original page again', () =>
        waitForHttp(nodePortUrlOf(s.cluster, 30082), (r) => r.body.includes('Welcome to nginx!'), { description: 'nginx-service serves the welcome page' }),
      )

      await s.step('roll back without a revision', () => rollback(s.api, ref(simple)))
      await s.waitFor(deploymentRolledOut(s.namespace, simple, 5))
      pods = await s.waitFor(podsReady(s.namespace, simplePods, 5))
      expect(new Set(pods.map(ownerName))).toEqual(new Set([rs[3]]))
      history = await rolloutHistory(s.api, ref(simple))
      expect(history.map((r) => [r.revision, r.replicaSet])).toEqual([[2, rs[2]], [4, rs[1]], [5, rs[3]]])
      expect(history.map((r) => [r.revision, r.changeCause])).toEqual([[2, cause[2]], [4, cause[1]], [5, cause[3]]])
    })
  })

  s.test('U3 throughout a rollout, pods stay within desired + maxSurge (pods above it only while their ReplicaSet removes them) and availability within desired - maxUnavailable', async () => {
    await s.apply('rolling-update/bounded-nginx.yaml')
    await s.waitFor(deploymentRolledOut(s.namespace, 'bounded-nginx', 5))
    // 5 replicas at 25%/25%: maxSurge rounds up to 2, maxUnavailable rounds down to 1.
    const [maxPods, minAvailable] = [5 + 2, 5 - 1]
    const bound = new SurgeBound(maxPods)
    let minReady = Infinity
    const { pods: boundedPods, replicaSets: boundedReplicaSets } = bound.observers(s.namespace, 'app=bounded-nginx', (series, value, pods) => {
      s.timeline.sample(series, value)
      if (!pods) return
      const ready = pods.filter((p) => !p.metadata.deletionTimestamp && isPodReady(p)).length
      minReady = Math.min(minReady, ready)
      s.timeline.sample('ready pods', ready)
    })
    await s.during([boundedPods, boundedReplicaSets], async () => {
      await s.step('set image nginx:1.28', () => setImage(s.api, ref('bounded-nginx'), 'nginx', 'nginx:1.28', { imageOverrides: s.cluster.imageOverrides }))
      await s.step('wait for the rollout', () => s.waitFor(deploymentRolledOut(s.namespace, 'bounded-nginx', 5)))
      await s.waitFor(podsReady(s.namespace, 'app=bounded-nginx', 5))
    })
    const surge = bound.verdict()
    for (const moment of surge.moments) s.timeline.note(describeMoment(moment, maxPods))
    // Five pods replaced: each is created, scheduled, started, made Ready, deleted.
    expect(surge.changes.pods).toBeGreaterThan(10)
    expect(surge.maxReplicaSetTotal, 'the ReplicaSets together never sized above desired + maxSurge').toBeLessThanOrEqual(maxPods)
    expect(surge.moments.map((m) => m.unexplained), 'every pod above desired + maxSurge belongs to a ReplicaSet already shrunk below its live pods').toEqual(surge.moments.map(() => 0))
    expect(minReady).toBeGreaterThanOrEqual(minAvailable)
  })

  s.test('U6 Recreate removes every old pod before it creates any new one', async () => {
    await s.apply('rolling-update/recreate-nginx.yaml')
    await s.waitFor(deploymentRolledOut(s.namespace, 'recreate-nginx', 5))
    const oldPods = new Set((await s.waitFor(podsReady(s.namespace, 'app=recreate-nginx', 5))).map((p) => p.metadata.name))
    const order: Array<{ what: 'old stopped' | 'new created'; pod: string }> = []
    const stopped = new Set<string>()
    const recreatePods = {
      selection: { apiVersion: 'v1', kind: 'Pod', namespace: s.namespace, labelSelector: 'app=recreate-nginx' },
      onChange(_all: ObservedObject[], type: WatchEventType, pod: ObservedObject) {
        const name = pod.metadata.name
        const terminal = ['Succeeded', 'Failed'].includes(String(pod.status?.phase))
        if (oldPods.has(name) && !stopped.has(name) && (type === 'DELETED' || terminal)) {
          stopped.add(name)
          order.push({ what: 'old stopped', pod: name })
        } else if (!oldPods.has(name) && type === 'ADDED') {
          order.push({ what: 'new created', pod: name })
        }
      },
    }
    await s.during(recreatePods, async () => {
      await s.step('set image nginx:1.28', () => setImage(s.api, ref('recreate-nginx'), 'nginx', 'nginx:1.28', { imageOverrides: s.cluster.imageOverrides }))
      await s.step('wait for the rollout', () => s.waitFor(deploymentRolledOut(s.namespace, 'recreate-nginx', 5)))
    })
    const firstNew = order.findIndex((o) => o.what === 'new created')
    const lastOld = order.map((o) => o.what).lastIndexOf('old stopped')
    expect(stopped.size, JSON.stringify(order)).toBe(5)
    expect(lastOld, JSON.stringify(order)).toBeLessThan(firstNew)
    const scaling = (await eventsFor(s.api, { namespace: s.namespace, kind: 'Deployment', name: 'recreate-nginx' })).filter((e) => e.reason === 'ScalingReplicaSet').map((e) => e.message)
    expect(scaling.at(-2)).toMatch(/^Scaled down replica set recreate-nginx-\w+ (from 5 )?to 0$/)
    expect(scaling.at(-1)).toMatch(/^Scaled up replica set recreate-nginx-\w+ (from 0 )?to 5$/)
  })

  s.test('U7 applying an updated file rolls out revision 2', async () => {
    await s.step('create my-update-nginx from its file', () => s.apply('rolling-update/my-update-nginx.yaml'))
    await s.waitFor(deploymentRolledOut(s.namespace, 'my-update-nginx', 3))
    await s.step('apply the updated file', () => s.apply('rolling-update/my-update-nginx-v2.yaml'))
    const deployment = await s.step('wait for the rollout', () => s.waitFor(deploymentRolledOut(s.namespace, 'my-update-nginx', 3)))
    expect(deployment.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('2')
    const history = await rolloutHistory(s.api, ref('my-update-nginx'))
    expect(history.map((r) => r.revision)).toEqual([1, 2])
    expect(history[1]!.images).toEqual([s.cluster.imageOverrides['nginx:1.28'] ?? 'nginx:1.28'])
  })

  s.test('U8 maxSurge 1 / maxUnavailable 0 never drop availability, and minReadySeconds delays it', async () => {
    await s.apply('rolling-update/advanced-nginx.yaml')
    await s.waitFor(deploymentRolledOut(s.namespace, 'advanced-nginx', 3), { timeoutMs: 180_000 })
    // 3 replicas, maxSurge 1, maxUnavailable 0.
    const bound = new SurgeBound(3 + 1)
    let minAvailable = Infinity
    let deploymentChanges = 0
    const firstReadyAt = new Map<string, number>()
    let newAvailableAt: number | undefined
    let newHash: string | undefined
    const countAvailable = (d: ObservedObject | undefined) => {
      const available = Number(d?.status?.availableReplicas ?? 0)
      minAvailable = Math.min(minAvailable, available)
      s.timeline.sample('available', available)
    }
    // When the API server recorded the pod Ready: the instant the controller counts minReadySeconds from.
    const noteReady = (pod: ObservedObject) => {
      const ready = statusCondition(pod, 'Ready')
      if (isPodReady(pod) && ready?.lastTransitionTime && !firstReadyAt.has(pod.metadata.name)) firstReadyAt.set(pod.metadata.name, Date.parse(ready.lastTransitionTime))
    }
    // Pods are counted as in U3, not from the Deployment's status.replicas: that sums ReplicaSet
    // statuses that lag (a pod being deleted still counts), so it can read desired + maxSurge + 1.
    const surge = bound.observers(s.namespace, 'app=advanced-nginx', (series, value) => s.timeline.sample(series, value))
    const observers = [
      {
        selection: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: s.namespace, name: 'advanced-nginx' },
        onListed: ([d]: ObservedObject[]) => countAvailable(d),
        onChange: (_all: ObservedObject[], _type: WatchEventType, d: ObservedObject) => (deploymentChanges++, countAvailable(d)),
      },
      {
        ...surge.pods,
        onListed: (all: ObservedObject[]) => (surge.pods.onListed(all), all.forEach(noteReady)),
        onChange: (all: ObservedObject[], type: WatchEventType, pod: ObservedObject) => (surge.pods.onChange(all, type, pod), noteReady(pod)),
      },
      {
        ...surge.replicaSets,
        onChange(all: ObservedObject[], type: WatchEventType, rs: ObservedObject) {
          surge.replicaSets.onChange(all, type, rs)
          if (newHash && rs.metadata.labels?.['pod-template-hash'] === newHash && Number(rs.status?.availableReplicas ?? 0) > 0) newAvailableAt ??= Date.now()
        },
      },
    ]
    await s.during(observers, async () => {
      const before = new Set(firstReadyAt.keys())
      await s.step('set image nginx:1.28', () => setImage(s.api, ref('advanced-nginx'), 'nginx', 'nginx:1.28', { imageOverrides: s.cluster.imageOverrides }))
      const newest = (await rolloutHistory(s.api, ref('advanced-nginx'))).at(-1)!
      newHash = newest.replicaSet.slice('advanced-nginx-'.length)
      await s.step('wait for the rollout', () => s.waitFor(deploymentRolledOut(s.namespace, 'advanced-nginx', 3), { timeoutMs: 180_000 }))
      const firstNewReady = Math.min(...[...firstReadyAt].filter(([name]) => !before.has(name) && name.includes(newHash!)).map(([, at]) => at))
      // The ReplicaSet can only have been seen available after it became so: at least 10 s after Ready.
      expect(newAvailableAt! - firstNewReady).toBeGreaterThanOrEqual(10_000)
    })
    const verdict = bound.verdict()
    for (const moment of verdict.moments) s.timeline.note(describeMoment(moment, verdict.maxPods))
    // The bounds below were observed, not assumed: the watches delivered the rollout.
    expect(deploymentChanges).toBeGreaterThan(0)
    expect(verdict.changes.pods).toBeGreaterThan(0)
    expect(verdict.changes.replicaSets).toBeGreaterThan(0)
    expect(minAvailable).toBeGreaterThanOrEqual(3)
    expect(verdict.maxReplicaSetTotal, 'the ReplicaSets together never sized above desired + maxSurge').toBeLessThanOrEqual(verdict.maxPods)
    expect(verdict.moments.map((m) => m.unexplained), 'every pod above desired + maxSurge belongs to a ReplicaSet already shrunk below its live pods').toEqual(verdict.moments.map(() => 0))
  })

  s.test('U9 under load a RollingUpdate with readiness serves every request; Recreate shows an outage window', async () => {
    await s.apply('rolling-update/served-rolling.yaml', 'rolling-update/served-recreate.yaml')
    await s.waitFor(deploymentRolledOut(s.namespace, 'served-rolling', 3))
    await s.waitFor(deploymentRolledOut(s.namespace, 'served-recreate', 3))
    // kube-proxy programs new NodePorts asynchronously: load before that would count its refusals.
    for (const port of [30083, 30084]) {
      await s.step(`wait until NodePort ${port} answers`, () =>
        waitForHttp(nodePortUrlOf(s.cluster, port), (r) => r.status === 200, { description: `NodePort ${port} answers`, timeoutMs: 30_000 }),
      )
    }
    // A new connection per request: kube-proxy then routes each request by the current endpoints.
    // A request unanswered for 2 s counts as failed: a stalled Service is an outage too.
    const loadOptions = { connections: 4, connectionPerRequest: true, requestTimeoutMs: 2000, timeline: s.timeline }
    // Another run on this machine measuring load at the same time would skew these latencies.
    const { rolling, recreate } = await withLoadTurn(async () => {
      const rolling = await s.step('rolling update under load', async () => {
        const load = startHttpLoad({ ...loadOptions, url: nodePortUrlOf(s.cluster, 30083), seriesPrefix: 'rolling' })
        await setImage(s.api, ref('served-rolling'), 'nginx', 'nginx:1.28', { imageOverrides: s.cluster.imageOverrides })
        await s.waitFor(deploymentRolledOut(s.namespace, 'served-rolling', 3))
        await s.waitFor(podsReady(s.namespace, 'app=served-rolling', 3), { timeoutMs: 180_000 })
        return load.stop()
      })
      const recreate = await s.step('Recreate under load', async () => {
        const load = startHttpLoad({ ...loadOptions, url: nodePortUrlOf(s.cluster, 30084), seriesPrefix: 'recreate' })
        await setImage(s.api, ref('served-recreate'), 'nginx', 'nginx:1.28', { imageOverrides: s.cluster.imageOverrides })
        await s.waitFor(deploymentRolledOut(s.namespace, 'served-recreate', 3), { timeoutMs: 180_000 })
        await s.waitFor(podsReady(s.namespace, 'app=served-recreate', 3), { timeoutMs: 180_000 })
        return load.stop()
      })
      return { rolling, recreate }
    })
    s.timeline.note(`rolling: ${rolling.requests} requests, ${rolling.errors} errors, ${rolling.non2xx} non-2xx, p50 ${Math.round(rolling.latency.p50Ms)} ms, p99 ${Math.round(rolling.latency.p99Ms)} ms`)
    s.timeline.note(`recreate: ${recreate.requests} requests, ${recreate.errors} errors, ${recreate.non2xx} non-2xx, outage ${Math.round(recreate.outageMs)} ms`)
    expect(rolling.requests).toBeGreaterThan(100)
    // Requests that timed out while this machine itself stalled cannot tell a stalled Service from
    // a stalled machine: undecided, never failed or passed on them. Every other failure counts.
    const stalled = rolling.failures.length - failuresOfTheService(rolling).length
    if (stalled > 0 && failuresOfTheService(rolling).length === 0) {
      const stallMs = rolling.stallWindows.reduce((sum, w) => sum + w.to - w.from, 0)
      s.timeline.undecided(
        'a RollingUpdate with readiness serves every request',
        `${stalled} request(s) timed out, each while this machine stalled (the load generator's own timers ran late ${rolling.stallWindows.length} time(s), ${Math.round(stallMs)} ms in all): the Service or the machine, what was observed cannot tell`,
      )
    } else {
      expect({ errors: rolling.errors, non2xx: rolling.non2xx }, JSON.stringify(rolling.errorCauses)).toEqual({ errors: 0, non2xx: 0 })
    }
    expect(recreate.errors + recreate.non2xx).toBeGreaterThan(0)
    expect(recreate.outageMs).toBeGreaterThan(0)
  })
})

function ref(name: string) {
  return { namespace: s.namespace, name }
}

function ownerName(pod: ObservedObject): string | undefined {
  return pod.metadata.ownerReferences?.find((o) => o.kind === 'ReplicaSet')?.name
}

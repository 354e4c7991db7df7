// Recipe 5, "Jobs and CronJobs": package-check run once, three times in series and three at once,
// then CronJobs on a one-minute schedule: on time, pruned to their history limits, Forbid, Replace.
import { afterAll, beforeAll, describe, expect } from 'vitest'
import {
  WatchHistory,
  eventsFor,
  jobComplete,
  jobLifecycle,
  jobPodsSelector,
  logs,
  podRunInterval,
  podsInPhase,
  resourcesGone,
  scheduledTime,
  useScenario,
  type JobLifeEvent,
  type ObservedObject,
  type RunInterval,
  type WatchHandle,
} from '../lib/index.js'

const s = useScenario('jobs')
const MINUTE_MS = 60_000
/** A CronJob's first Job is due within a minute of its creation; the claims need up to its third. */
const CRON_WAIT_MS = 200_000

describe.concurrent('jobs', () => {
  s.test('J1 package-check completes once, its pod logs the dpkg package list, and deleting the Job removes its pod', async () => {
    await s.step('apply the package-check Job', () => s.apply('jobs/package-check.yaml'))
    const job = await s.step('wait until package-check is Complete', () => s.waitFor(jobComplete(s.namespace, 'package-check')))
    expect(job.status?.succeeded).toBe(1)
    const [pod] = await s.step('its pod has Succeeded', () => s.waitFor(podsInPhase(s.namespace, jobPodsSelector(job), 1, ['Succeeded'])))
    expect(terminatedReason(pod!)).toBe('Completed')
    const packages = await s.step('read the pod logs', () => logs(s.api, { namespace: s.namespace, name: pod!.metadata.name }))
    expect(packages).toMatch(/^Desired=Unknown\/Install\/Remove\/Purge\/Hold/)
    expect(packages).toMatch(/^ii {2}dpkg +\S+/m)
    expect(packages).toMatch(/^ii {2}bash +\S+/m)

    await s.step('delete the Job (propagationPolicy Background)', () =>
      s.api.batch.deleteNamespacedJob({ namespace: s.namespace, name: 'package-check', propagationPolicy: 'Background' }),
    )
    await s.step('wait until its pod is gone', () => s.waitFor(resourcesGone(podsOf(job), `pod ${pod!.metadata.name} of package-check`)))
  })

  s.test('J2 completions 3 runs three pods one after another, and 3 succeed', async () => {
    await s.step('apply package-check-completions (completions 3)', () => s.apply('jobs/package-check-completions.yaml'))
    const job = await s.step('wait until it is Complete', () => s.waitFor(jobComplete(s.namespace, 'package-check-completions')))
    expect(job.status?.succeeded).toBe(3)
    const runs = await s.step('read when each pod ran', () => podRuns(job, 3))
    // Each pod runs `dpkg-query -l && sleep 3`. The runtime records a container's start when its
    // start call returns, which under load is seconds after the process began: the recorded span
    // can only understate the run. It decides the claim when it reaches 3 s; the span from the
    // pod's creation (before any start) can only overstate it, and fails the claim below 3 s.
    for (const run of runs) {
      expect(run.endedAt - run.createdAt, `${run.pod} existed 3 s before it ended`).toBeGreaterThanOrEqual(3000)
      if (run.endedAt - run.startedAt < 3000) {
        s.timeline.undecided(`${run.pod} ran for its 3 s`, `its start was recorded ${(run.endedAt - run.startedAt) / 1000} s before its end (the runtime records a start late under load), its creation ${(run.endedAt - run.createdAt) / 1000} s before`)
      }
    }
    for (const [earlier, later] of consecutive(runs)) {
      expect(earlier.endedAt, `${earlier.pod} finished before ${later.pod} started`).toBeLessThanOrEqual(later.startedAt)
    }
  })

  s.test('J3 parallelism 3 runs three pods at the same time', async () => {
    await s.step('apply package-check-parallelism (completions 3, parallelism 3)', () => s.apply('jobs/package-check-parallelism.yaml'))
    const job = await s.step('wait until it is Complete', () => s.waitFor(jobComplete(s.namespace, 'package-check-parallelism')))
    expect(job.status?.succeeded).toBe(3)
    const runs = await s.step('read when each pod ran', () => podRuns(job, 3))
    const lastStart = Math.max(...runs.map((r) => r.startedAt))
    const firstEnd = Math.min(...runs.map((r) => r.endedAt))
    expect(lastStart, 'the last pod started before the first one finished: all three ran at once').toBeLessThan(firstEnd)
  })
})

describe.concurrent('J4 CronJobs every minute', () => {
  const [every, failing, forbid, replace] = ['package-check-cron', 'failing-check-cron', 'slow-check-forbid', 'slow-check-replace']
  const jobs = new WatchHistory()
  const createdAt = new Map<string, number>()
  let watch: WatchHandle | undefined

  // The four CronJobs start together and wait on the same minute boundaries, so the claims below
  // cost at most three minutes in all. One watch records every Job they create, from the start.
  beforeAll(async () => {
    watch = await s.observe(jobs.watching({ apiVersion: 'batch/v1', kind: 'Job', namespace: s.namespace, labelSelector: 'cronjob' }))
    const applied = await s.apply('jobs/package-check-cron.yaml', 'jobs/failing-check-cron.yaml', 'jobs/slow-check-forbid.yaml', 'jobs/slow-check-replace.yaml')
    for (const { stored } of applied) createdAt.set(stored.metadata.name, Date.parse(String((stored.metadata as { creationTimestamp?: string }).creationTimestamp)))
  })
  afterAll(() => watch?.stop())

  s.test('J4 package-check-cron (every minute, Forbid) creates its Jobs on schedule', async () => {
    const [first, second] = await jobsCreated(every, 2)
    // The first run is the first minute boundary after the CronJob was created.
    expect(iso(scheduledTime(first!))).toBe(iso(Math.floor(createdAt.get(every)! / MINUTE_MS) * MINUTE_MS + MINUTE_MS))
    expect(scheduledTime(second!) - scheduledTime(first!)).toBe(MINUTE_MS)
    for (const job of [first!, second!]) {
      const lag = Date.parse(String(job.metadata.creationTimestamp)) - scheduledTime(job)
      expect(lag, `${job.metadata.name} was created within 10 s of ${iso(scheduledTime(job))}`).toBeGreaterThanOrEqual(0)
      expect(lag).toBeLessThanOrEqual(10_000)
    }
  })

  s.test('J4 successfulJobsHistoryLimit 1: the next success prunes the older Job and its pod', async () => {
    const [older, newer] = await jobsCreated(every, 2)
    await s.step(`wait until ${every} deletes ${older!.metadata.name}`, () => lifeEvent(every, 'deleted', older!))
    await s.step(`wait until the pod of ${older!.metadata.name} is gone`, () => s.waitFor(resourcesGone(podsOf(older!), `the pod of ${older!.metadata.name}`)))
    expect(story(every, [older!, newer!]).slice(0, 5)).toEqual(['created 1st', 'Complete 1st', 'created 2nd', 'Complete 2nd', 'deleted 1st'])
  })

  s.test('J4 failedJobsHistoryLimit 1: the next failure prunes the older failed Job and its pod', async () => {
    const [older, newer] = await jobsCreated(failing, 2)
    await s.step(`wait until ${failing} deletes ${older!.metadata.name}`, () => lifeEvent(failing, 'deleted', older!))
    await s.step(`wait until the pod of ${older!.metadata.name} is gone`, () => s.waitFor(resourcesGone(podsOf(older!), `the pod of ${older!.metadata.name}`)))
    expect(story(failing, [older!, newer!]).slice(0, 5)).toEqual(['created 1st', 'Failed 1st', 'created 2nd', 'Failed 2nd', 'deleted 1st'])
  })

  s.test('J4 Forbid: while a Job still runs, the next scheduled run is skipped', async () => {
    const [first, next] = await jobsCreated(forbid, 2)
    const due = scheduledTime(first!) + MINUTE_MS
    const { job: finished } = await lifeEvent(forbid, 'Complete', first!)
    const [ranFrom, ranTo] = [Date.parse(String(finished.status?.startTime)), Date.parse(String(finished.status?.completionTime))]
    expect(ranFrom, `the run due at ${iso(due)} fell due while the first Job ran`).toBeLessThan(due)
    expect(ranTo).toBeGreaterThan(due)
    expect(story(forbid, [first!, next!]).slice(0, 3)).toEqual(['created 1st', 'Complete 1st', 'created 2nd'])
    // Skipped, not started late: the next Job is the one due a minute after the skipped run.
    expect(iso(scheduledTime(next!))).toBe(iso(due + MINUTE_MS))
    const reasons = (await eventsFor(s.api, { namespace: s.namespace, kind: 'CronJob', name: forbid })).map((e) => e.reason)
    expect(reasons).toContain('JobAlreadyActive')
  })

  s.test('J4 Replace: at the next schedule the running Job is deleted and a new one takes its place', async () => {
    const [first, second] = await jobsCreated(replace, 2)
    expect(scheduledTime(second!) - scheduledTime(first!)).toBe(MINUTE_MS)
    expect(story(replace, [first!, second!]).slice(0, 3)).toEqual(['created 1st', 'deleted 1st', 'created 2nd'])
    await s.step(`wait until the pod of ${first!.metadata.name} is gone`, () => s.waitFor(resourcesGone(podsOf(first!), `the pod of ${first!.metadata.name}`)))
    await s.step(`wait until ${second!.metadata.name} runs`, () =>
      jobs.until(`${second!.metadata.name} has a ready pod`, (events) => events.find((e) => e.object.metadata.uid === second!.metadata.uid && Number(e.object.status?.ready ?? 0) >= 1), { timeoutMs: CRON_WAIT_MS }),
    )
  })

  /** The Jobs a CronJob has created so far, oldest first (deleted ones included). */
  function jobsOf(cronJob: string): ObservedObject[] {
    return lifeOf(cronJob).filter((e) => e.what === 'created').map((e) => e.job)
  }

  function lifeOf(cronJob: string): JobLifeEvent[] {
    return jobLifecycle(jobs.events).filter((e) => e.job.metadata.labels?.cronjob === cronJob)
  }

  /** Waits until the CronJob has created `count` Jobs; returns the first `count`. */
  function jobsCreated(cronJob: string, count: number): Promise<ObservedObject[]> {
    return s.step(`wait until ${cronJob} has created ${count} Job${count > 1 ? 's' : ''}`, () =>
      jobs.until(`${cronJob} has created ${count} Jobs`, () => (jobsOf(cronJob).length >= count ? jobsOf(cronJob).slice(0, count) : undefined), { timeoutMs: CRON_WAIT_MS }),
    )
  }

  /** Waits until the recorded life of `job` includes `what`; returns that event. */
  function lifeEvent(cronJob: string, what: JobLifeEvent['what'], job: ObservedObject): Promise<JobLifeEvent> {
    return jobs.until(`${job.metadata.name} is ${what}`, () => lifeOf(cronJob).find((e) => e.what === what && e.job.metadata.uid === job.metadata.uid), { timeoutMs: CRON_WAIT_MS })
  }

  /** The recorded life of these Jobs as "created 1st", "Complete 1st", "deleted 1st"..., in order. */
  function story(cronJob: string, inOrder: ObservedObject[]): string[] {
    const ordinal = new Map(inOrder.map((j, i) => [j.metadata.uid, ['1st', '2nd', '3rd'][i] ?? `#${i + 1}`]))
    return lifeOf(cronJob).flatMap((e) => (ordinal.has(e.job.metadata.uid) ? [`${e.what} ${ordinal.get(e.job.metadata.uid)}`] : []))
  }
})

type PodRun = RunInterval & { pod: string; createdAt: number }

/** When each of the Job's `count` pods ran, by start time; recorded on the timeline as intervals. */
async function podRuns(job: ObservedObject, count: number): Promise<PodRun[]> {
  const pods = await s.waitFor(podsInPhase(s.namespace, jobPodsSelector(job), count, ['Succeeded']))
  const runs = pods
    .map((pod) => ({ pod: pod.metadata.name, createdAt: Date.parse(String(pod.metadata.creationTimestamp)), ...podRunInterval(pod) }))
    .sort((a, b) => a.startedAt - b.startedAt)
  for (const run of runs) s.timeline.record({ type: 'interval', series: 'job pods', label: run.pod, startedAt: run.startedAt, endedAt: run.endedAt })
  return runs
}

function podsOf(job: ObservedObject) {
  return { apiVersion: 'v1', kind: 'Pod', namespace: s.namespace, labelSelector: jobPodsSelector(job) }
}

/** Why the pod's first container ended: "Completed" is what kubectl shows for a successful Job pod. */
function terminatedReason(pod: ObservedObject): string | undefined {
  const [status] = (pod.status?.containerStatuses ?? []) as Array<{ state?: { terminated?: { reason?: string } } }>
  return status?.state?.terminated?.reason
}

function consecutive<T>(items: T[]): Array<[T, T]> {
  return items.slice(1).map((item, i) => [items[i]!, item])
}

const iso = (ms: number) => new Date(ms).toISOString()

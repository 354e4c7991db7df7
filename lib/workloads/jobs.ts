// Reading Jobs and their pods: how a Job ended, when a CronJob meant it to run, when each pod ran,
// and a Job's life (created, finished, deleted) out of a recorded watch.
import type { ObservedObject } from '../observe/watch.js'
import type { HistoryEvent } from '../observe/watch-history.js'

export type JobOutcome = 'Complete' | 'Failed'

/** The annotation the CronJob controller puts on each Job: the schedule time it was created for. */
export const CRONJOB_SCHEDULED_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp'

/** Complete or Failed once the Job has that condition, else undefined (still running). */
export function jobOutcome(job: ObservedObject): JobOutcome | undefined {
  const conditions = (job.status?.conditions ?? []) as Array<{ type: string; status: string }>
  return conditions.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True')?.type as JobOutcome | undefined
}

/** Label selector of exactly one Job's pods (by the Job's uid, so a same-named Job cannot match). */
export function jobPodsSelector(job: ObservedObject): string {
  return `batch.kubernetes.io/controller-uid=${job.metadata.uid}`
}

/** The time (ms) a CronJob's schedule meant this Job to start; throws for Jobs no CronJob made. */
export function scheduledTime(job: ObservedObject): number {
  const value = job.metadata.annotations?.[CRONJOB_SCHEDULED_ANNOTATION]
  if (!value) throw new Error(`job ${job.metadata.name} has no ${CRONJOB_SCHEDULED_ANNOTATION} annotation (was it created by a CronJob?)`)
  return Date.parse(value)
}

export interface RunInterval {
  startedAt: number
  endedAt: number
}

/**
 * When a finished pod's container ran (ms; the API keeps whole seconds): from its terminated
 * state's startedAt to finishedAt. Throws while the container has not terminated.
 */
export function podRunInterval(pod: ObservedObject, container?: string): RunInterval {
  const statuses = (pod.status?.containerStatuses ?? []) as Array<{ name: string; state?: { terminated?: { startedAt?: string; finishedAt?: string } } }>
  const status = container ? statuses.find((c) => c.name === container) : statuses[0]
  const terminated = status?.state?.terminated
  if (!terminated?.startedAt || !terminated.finishedAt) throw new Error(`pod ${pod.metadata.name}: container ${status?.name ?? container ?? '(none)'} has not terminated: ${JSON.stringify(status?.state ?? {})}`)
  return { startedAt: Date.parse(terminated.startedAt), endedAt: Date.parse(terminated.finishedAt) }
}

export interface JobLifeEvent {
  what: 'created' | JobOutcome | 'deleted'
  job: ObservedObject
}

/**
 * The lives of the Jobs in a recorded watch, in order: each Job's creation, the moment it was
 * first seen Complete or Failed, and its deletion. Repeated status updates are left out.
 */
export function jobLifecycle(events: readonly HistoryEvent[]): JobLifeEvent[] {
  const finished = new Set<string>()
  const life: JobLifeEvent[] = []
  for (const { type, object: job } of events) {
    if (type === 'ADDED') life.push({ what: 'created', job })
    const outcome = jobOutcome(job)
    if (outcome && !finished.has(job.metadata.uid)) {
      finished.add(job.metadata.uid)
      life.push({ what: outcome, job })
    }
    if (type === 'DELETED') life.push({ what: 'deleted', job })
  }
  return life
}

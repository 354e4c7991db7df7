import { describe, expect, test } from 'vitest'
import { jobLifecycle, podRunInterval } from '../../lib/workloads/jobs.js'
import type { ObservedObject } from '../../lib/observe/watch.js'
import { job } from './job-objects.js'
import { WatchHistory } from '../../lib/observe/watch-history.js'


describe('jobLifecycle', () => {
  test('keeps creation, the first time a Job is seen finished, and deletion, in order', () => {
    const history = new WatchHistory()
    history.record([], 'ADDED', job('a', '1'))
    history.record([], 'MODIFIED', job('a', '1', 'Complete'))
    history.record([], 'MODIFIED', job('a', '1', 'Complete'))
    history.record([], 'ADDED', job('b', '2'))
    history.record([], 'MODIFIED', job('b', '2', 'Failed'))
    history.record([], 'DELETED', job('a', '1', 'Complete'))
    history.record([], 'DELETED', job('b', '2', 'Failed'))
    expect(jobLifecycle(history.events).map((e) => `${e.what} ${e.job.metadata.name}`)).toEqual(['created a', 'Complete a', 'created b', 'Failed b', 'deleted a', 'deleted b'])
  })

  test('a Job first seen already finished (the initial list) is created, then finished', () => {
    const history = new WatchHistory()
    history.record([], 'ADDED', job('a', '1', 'Failed'))
    expect(jobLifecycle(history.events).map((e) => e.what)).toEqual(['created', 'Failed'])
  })
})

describe('podRunInterval', () => {
  const pod = (state: unknown): ObservedObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', uid: 'u', resourceVersion: '1' }, status: { containerStatuses: [{ name: 'c', state }] } })

  test('reads the terminated container state', () => {
    expect(podRunInterval(pod({ terminated: { startedAt: '2026-01-01T00:00:01Z', finishedAt: '2026-01-01T00:00:04Z' } }))).toEqual({
      startedAt: Date.UTC(2026, 0, 1, 0, 0, 1),
      endedAt: Date.UTC(2026, 0, 1, 0, 0, 4),
    })
  })

  test('a container still running is an error naming the pod and its state', () => {
    expect(() => podRunInterval(pod({ running: { startedAt: '2026-01-01T00:00:01Z' } }))).toThrow('pod p: container c has not terminated: {"running":{"startedAt":"2026-01-01T00:00:01Z"}}')
  })
})

import { describe, expect, test } from 'vitest'
import { failingIntervals, percentile, type LoadSample } from '../../lib/load.js'
import { Timeline } from '../../lib/timeline.js'

describe('Timeline', () => {
  test('records steps with their duration and outcome, and rethrows failures', async () => {
    let now = 1000
    const timeline = new Timeline(() => now)
    await timeline.step('apply', () => {
      now = 1500
    })
    await expect(
      timeline.step('wait', () => {
        now = 2000
        throw new Error('boom')
      }),
    ).rejects.toThrow('boom')
    expect(timeline.entries).toEqual([
      { type: 'step', name: 'apply', status: 'passed', startedAt: 1000, at: 1500 },
      { type: 'step', name: 'wait', status: 'failed', startedAt: 1500, error: 'boom', at: 2000 },
    ])
  })

  test('series and sorting', () => {
    let now = 10
    const timeline = new Timeline(() => now)
    timeline.sample('replicas', 2)
    now = 5
    timeline.sample('replicas', 3)
    expect(timeline.series('replicas')).toEqual([
      { at: 10, value: 2 },
      { at: 5, value: 3 },
    ])
    expect(timeline.sorted().map((e) => e.at)).toEqual([5, 10])
    expect(JSON.parse(JSON.stringify(timeline.entries))).toEqual(timeline.entries)
  })
})

describe('load statistics', () => {
  test('nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1)
    expect(percentile(values, 50)).toBe(50)
    expect(percentile(values, 99)).toBe(99)
    expect(percentile([], 99)).toBe(0)
  })

  test('consecutive failing samples merge into one outage window', () => {
    const sample = (at: number, errors: number): LoadSample => ({ at, requests: 10, errors, non2xx: 0, p50Ms: 1, p99Ms: 2 })
    const samples = [sample(500, 0), sample(1000, 3), sample(1500, 5), sample(2000, 0), sample(2500, 1)]
    expect(failingIntervals(samples, 500)).toEqual([
      { from: 500, to: 1500 },
      { from: 2000, to: 2500 },
    ])
  })
})

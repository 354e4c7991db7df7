import { describe, expect, test } from 'vitest'
import { mergeWindows, percentile } from '../../lib/traffic/load.js'
import { Timeline } from '../../lib/record/timeline.js'

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

  test('failed requests that overlap or nearly touch form one outage window', () => {
    const failures = [
      { from: 1000, to: 1200 },
      { from: 500, to: 1100 },
      { from: 1230, to: 1300 },
      { from: 2000, to: 2001 },
    ]
    expect(mergeWindows(failures, 50)).toEqual([
      { from: 500, to: 1300 },
      { from: 2000, to: 2001 },
    ])
    expect(mergeWindows([], 50)).toEqual([])
  })
})

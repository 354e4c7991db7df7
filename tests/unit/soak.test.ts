import { describe, expect, test } from 'vitest'
import { formatSoakTable, soakTable } from '../../bin/soak.js'
import type { HistoryRecord } from '../../lib/report/history.js'

const record = (runId: string, tests: Record<string, 'passed' | 'failed'>): HistoryRecord => ({
  runId,
  at: '2026-11-29T12:00:00.000Z',
  tests: Object.fromEntries(Object.entries(tests).map(([id, status]) => [id, { status, durationMs: 1000 }])),
})

describe('soak table', () => {
  const history = [
    record('old', { S2: 'failed' }), // before the soak: not counted
    record('r1', { S2: 'passed', S10: 'passed', U1: 'passed' }),
    record('r2', { S2: 'failed', S10: 'passed', U1: 'passed' }),
    record('r3', { S2: 'passed', S10: 'passed' }),
  ]

  test('counts each ID over the soak runs only, in the chapter order', () => {
    expect(soakTable(history, ['r1', 'r2', 'r3'])).toEqual([
      { id: 'S2', passed: 2, failed: 1, missing: 0 },
      { id: 'S10', passed: 3, failed: 0, missing: 0 },
      { id: 'U1', passed: 2, failed: 0, missing: 1 },
    ])
  })

  test('names the IDs that failed at least once, with their failure rate', () => {
    const text = formatSoakTable(soakTable(history, ['r1', 'r2', 'r3']), 3)
    expect(text).toMatch(/^S2\s+2\s+1\s+0\s+33%$/m)
    expect(text).toContain('1 of 3 IDs failed at least once in 3 runs: S2')
    expect(formatSoakTable(soakTable(history, ['r1']), 1)).toContain('every ID passed in all 1 runs')
  })
})

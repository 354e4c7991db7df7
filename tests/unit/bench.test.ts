import { expect, test } from 'vitest'
import { benchPage, formatRows } from '../../bench/bench.js'

const rows = [
  { what: 'cluster ready, 1 node (s)', min: 19.2, median: 22.4, max: 23, samples: 3, anchor: 12 },
  { what: 'node join (s)', min: 7.2, median: 7.2, max: 7.4, samples: 3, anchor: 10 },
  { what: 'file jobs wall (s)', min: 232, median: 232, max: 232, samples: 1 },
]

test('the table gives min, median, max, samples and the ratio of the median to its anchor', () => {
  const table = formatRows(rows)
  expect(table).toMatch(/^cluster ready, 1 node \(s\)\s+19\.2\s+22\.4\s+23\s+3\s+12\s+1\.87$/m)
  expect(table).toMatch(/^node join \(s\)\s+7\.2\s+7\.2\s+7\.4\s+3\s+10\s+0\.72$/m)
  expect(table).toMatch(/^file jobs wall \(s\)\s+232\s+232\s+232\s+1\s*$/m)
})

test('the page draws one bar per anchored measure, red above its anchor and green within it', () => {
  const page = benchPage(rows, '2026-11-29T13:00:00Z')
  expect(page.match(/<rect /g)).toHaveLength(2)
  expect([...page.matchAll(/fill="(#\w+)"\/><text [^>]*>([^<]*)</g)].map((m) => [m[1], m[2]])).toEqual([
    ['#c62828', '22.4 (1.87×)'],
    ['#2e7d32', '7.2 (0.72×)'],
  ])
})

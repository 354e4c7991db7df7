import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { expect, test } from 'vitest'
import { benchPage, chapterRows, conformanceRows, formatRows } from '../../bench/bench.js'
import { readSelection } from '../../bin/conformance-plan.js'
import { writeRunReport } from '../../lib/report/report-files.js'
import { sampleConformanceRun } from './conformance-sample.js'
import { sampleRun } from './report-sample-run.js'

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

test('the conformance rows come from the newest full run; the chapter rows from the newest chapter run, whatever ran since', () => {
  const reports = mkdtempSync(path.join(tmpdir(), 'kube-scenarios-bench-'))
  try {
    const chapter = sampleRun()
    writeRunReport(chapter, { reportsDir: reports, history: path.join(reports, 'history.jsonl'), keepReports: 10 })
    const full = sampleConformanceRun()
    const conformance = { ...full.conformance!, selection: readSelection(), durationMs: 2_400_000, serial: { specs: 29, durationMs: 1_080_000 } }
    writeRunReport({ ...full, runId: '20261204-aaaaaa', conformance }, { reportsDir: reports, history: path.join(reports, 'history.jsonl'), keepReports: 10 })
    // A focused run afterwards is not the full set.
    writeRunReport({ ...full, runId: '20261204-bbbbbb', conformance: { ...conformance, selection: { ...conformance.selection, focus: 'Job' }, durationMs: 9000 } }, { reportsDir: reports, history: path.join(reports, 'history.jsonl'), keepReports: 10 })
    expect(conformanceRows(reports).map((r) => [r.what, r.median, r.anchor])).toEqual([
      ['conformance, every spec: wall (s)', 2400, 3600],
      ['conformance: serial phase (s)', 1080, undefined],
      ['conformance: specs passed', 2, undefined],
    ])
    expect(chapterRows(reports)[0]).toMatchObject({ what: 'chapter wall (s)', median: (chapter.endedAt - chapter.startedAt) / 1000 })
  } finally {
    rmSync(reports, { recursive: true, force: true })
  }
})

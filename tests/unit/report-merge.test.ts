import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, test } from 'vitest'
import { readHistory } from '../../lib/report/history.js'
import { mergeShards, readShardReports } from '../../lib/report/merge.js'
import { parseShard } from '../../lib/config/settings.js'
import type { RunReport } from '../../lib/report/model.js'
import { writeRunReport } from '../../lib/report/report-files.js'
import { renderReport } from '../../lib/report/render-report.js'
import { sampleRun } from './report-sample-run.js'

/** The sample run split by file into `count` shards, each on its own "cluster". */
function shardsOf(run: RunReport, count: number): RunReport[] {
  return Array.from({ length: count }, (_, i) => ({
    ...run,
    runId: `${run.runId}-s${i + 1}`,
    nodes: [`shard-${i + 1}-node`],
    startedAt: run.startedAt + i * 1000,
    endedAt: run.endedAt - (count - 1 - i) * 1000,
    outcome: run.files.filter((_, f) => f % count === i).some((f) => f.tests.some((t) => t.status === 'failed')) ? 'failed' : 'passed',
    files: run.files.filter((_, f) => f % count === i),
    unhandledErrors: [],
    shard: { index: i + 1, count },
  }))
}

const sources = (runs: RunReport[]) => runs.map((run, i) => ({ source: `shard-folder-${i + 1}`, run }))

describe('merging shards', () => {
  test('the merged report holds the same tests, results, timelines and evidence as the whole run', () => {
    const whole = sampleRun()
    const merged = mergeShards(sources(shardsOf(whole, 2).reverse()))
    const content = (run: RunReport) => [...run.files].sort((a, b) => a.file.localeCompare(b.file))
    expect(content(merged)).toEqual(content(whole))
    expect(merged.outcome).toBe(whole.outcome)
    expect([merged.startedAt, merged.endedAt]).toEqual([whole.startedAt, whole.endedAt])
    expect(merged.shards?.map((s) => [s.index, s.runId, s.nodes])).toEqual([
      [1, `${whole.runId}-s1`, ['shard-1-node']],
      [2, `${whole.runId}-s2`, ['shard-2-node']],
    ])
    expect(merged.shard).toBeUndefined()
    expect(renderReport(merged)).toContain('shards')
  })

  test('refuses what is not every shard of one run, naming the folder', () => {
    const [one, two] = shardsOf(sampleRun(), 2)
    expect(() => mergeShards(sources([one!]))).toThrow('shard 2/2 missing')
    expect(() => mergeShards(sources([one!, one!]))).toThrow('shard 1/2 is given twice: shard-folder-1 and shard-folder-2')
    expect(() => mergeShards(sources([one!, { ...two!, shard: { index: 2, count: 3 } }]))).toThrow('shard-folder-2 is shard 2/3, but shard-folder-1 is one of 2')
    expect(() => mergeShards(sources([one!, { ...two!, shard: undefined }]))).toThrow("shard-folder-2 is not a shard's report")
    expect(() => mergeShards([])).toThrow('nothing to merge')
  })

  test('--shard takes INDEX/COUNT', () => {
    expect(parseShard('2/3')).toEqual({ index: 2, count: 3 })
    for (const bad of ['0/2', '3/2', '1', 'a/b', '1/0']) expect(() => parseShard(bad)).toThrow('--shard must be INDEX/COUNT')
  })
})

describe('shards on disk', () => {
  let dir = ''
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  test('shards write their reports without a history record; the merge writes one record of every test', () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'merge-test-'))
    const whole = sampleRun()
    const folders = shardsOf(whole, 2).map((shard) => path.dirname(writeRunReport(shard, { reportsDir: dir, history: path.join(dir, 'history.jsonl') })))
    expect(readHistory(path.join(dir, 'history.jsonl'))).toEqual([])
    const merged = mergeShards(readShardReports(folders))
    const index = writeRunReport(merged, { reportsDir: dir, history: path.join(dir, 'history.jsonl') })
    const [record] = readHistory(path.join(dir, 'history.jsonl'))
    const ran = whole.files.flatMap((f) => f.tests).filter((t) => t.status !== 'skipped')
    expect(Object.keys(record!.tests).sort()).toEqual(ran.map((t) => t.key).sort())
    expect(readFileSync(path.join(path.dirname(index), 'junit.xml'), 'utf8')).toContain(`tests="${whole.files.flatMap((f) => f.tests).length}"`)
    expect(() => readShardReports([path.join(dir, 'nothing-here')])).toThrow('report.json is missing')
  })
})

// Shards into one run: `kube-scenarios run --shard i/n` runs a part of the files on its own
// cluster and writes its report without recording it in the history; `report --merge` folds the
// shards' report.json files into one report, one JUnit and one history record, as one run would.
import type { ShardOf } from '../config/settings.js'
import { withUniqueKeys, type RunReport } from './model.js'
import { readRunReport } from './report-files.js'

/**
 * One run report of every shard of a run: all files and tests, the earliest start and the latest
 * end, the worst outcome; each shard's cluster facts kept under `shards`. Refuses reports that
 * are not the shards of one run: a missing, repeated or unsharded part, or mixed shard counts.
 */
export function mergeShards(reports: readonly { source: string; run: RunReport }[]): RunReport {
  if (reports.length === 0) throw new Error('nothing to merge: give the report folders of every shard')
  const unsharded = reports.find((r) => !r.run.shard)
  if (unsharded) throw new Error(`${unsharded.source} is not a shard's report (run it with --shard INDEX/COUNT)`)
  const count = reports[0]!.run.shard!.count
  const mixed = reports.find((r) => r.run.shard!.count !== count)
  if (mixed) throw new Error(`${mixed.source} is shard ${mixed.run.shard!.index}/${mixed.run.shard!.count}, but ${reports[0]!.source} is one of ${count}`)
  const byIndex = new Map<number, string>()
  for (const { source, run } of reports) {
    const seen = byIndex.get(run.shard!.index)
    if (seen) throw new Error(`shard ${run.shard!.index}/${count} is given twice: ${seen} and ${source}`)
    byIndex.set(run.shard!.index, source)
  }
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !byIndex.has(i))
  if (missing.length) throw new Error(`shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${count}`).join(', ')} missing: a merged report must hold every test of the run`)

  const runs = [...reports].map((r) => r.run).sort((a, b) => a.shard!.index - b.shard!.index)
  const first = runs[0]!
  const outcome = runs.some((r) => r.outcome === 'interrupted') ? 'interrupted' : runs.some((r) => r.outcome === 'failed') ? 'failed' : 'passed'
  const same = <T>(pick: (r: RunReport) => T | undefined) => (runs.every((r) => pick(r) === pick(first)) ? pick(first) : undefined)
  return {
    runId: `${first.runId}-merged`,
    provider: same((r) => r.provider) ?? runs.map((r) => r.provider ?? 'unknown').join(', '),
    kubernetesVersion: same((r) => r.kubernetesVersion) ?? runs.map((r) => r.kubernetesVersion ?? 'unknown').join(', '),
    startedAt: Math.min(...runs.map((r) => r.startedAt)),
    endedAt: Math.max(...runs.map((r) => r.endedAt)),
    outcome,
    files: withUniqueKeys(runs.flatMap((r) => r.files).sort((a, b) => a.file.localeCompare(b.file))),
    unhandledErrors: runs.flatMap((r) => r.unhandledErrors),
    shards: runs.map((r) => ({
      ...r.shard!,
      runId: r.runId,
      ...(r.provider ? { provider: r.provider } : {}),
      ...(r.nodes ? { nodes: r.nodes } : {}),
      startedAt: r.startedAt,
      endedAt: r.endedAt,
      outcome: r.outcome,
    })),
  }
}

/** Reads the report.json of each shard's report folder. */
export function readShardReports(dirs: readonly string[]): { source: string; run: RunReport }[] {
  return dirs.map((dir) => ({ source: dir, run: readRunReport(dir) }))
}

// Shared state files under concurrency and corruption: processes writing at once leave whole
// files, and a torn file that only informs gives one warning and the run goes on.
import { execFile, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { runSettings } from '../../lib/config/settings.js'
import { describe, expect, it, vi } from 'vitest'

const run = promisify(execFile)
const IMAGES_LIB = path.resolve(import.meta.dirname, '../../images/lib')

/** Runs an ES module snippet in a new node process with the given cache folder. */
function node(cache: string, script: string) {
  return run(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, KUBE_SCENARIOS_CACHE: cache } })
}

describe('state files shared by processes', () => {
  it('20 processes recording timings at once leave valid JSON holding all 20', async () => {
    const cache = mkdtempSync(path.join(tmpdir(), 'ks-timings-'))
    const timings = path.join(IMAGES_LIB, 'timings.mjs')
    await Promise.all(Array.from({ length: 20 }, (_, i) => node(cache, `import { readTimings, recordTiming } from '${timings}'; await recordTiming(await readTimings(), 'step-${i}', ${i + 1})`)))
    const recorded = JSON.parse(readFileSync(path.join(cache, 'build-timings.json'), 'utf8')) as Record<string, { seconds: number }>
    expect(Object.keys(recorded).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `step-${i}`).sort())
    expect(recorded['step-7']?.seconds).toBe(8)
    // No temporary or lock files are left beside it.
    expect(readdirSync(cache)).toEqual(['build-timings.json'])
    // 20 node processes starting at once take a while on 2 busy cores.
  }, 180_000)

  it('two processes building one cached step at once: it is built once, the other waits and says by whom', async () => {
    const cache = mkdtempSync(path.join(tmpdir(), 'ks-step-'))
    const cacheModule = path.join(IMAGES_LIB, 'cache.mjs')
    // The first holds the step until the test releases it, after the second said it waits.
    const script = (label: string) => `
      import { appendFileSync, existsSync, writeFileSync } from 'node:fs'
      import { cachedStep } from '${cacheModule}'
      const result = await cachedStep('slow', ['inputs'], async () => {
        appendFileSync('${cache}/produced', '${label}\\n')
        writeFileSync('${cache}/building', '')
        while (!existsSync('${cache}/release')) await new Promise((resolve) => setTimeout(resolve, 50))
      })
      console.log(JSON.stringify({ label: '${label}', cached: result.cached, builtElsewhere: result.builtElsewhere }))`
    const first = node(cache, script('a'))
    await vi.waitFor(() => expect(existsSync(path.join(cache, 'building'))).toBe(true), { timeout: 30_000, interval: 50 })
    const second = spawn(process.execPath, ['--input-type=module', '-e', script('b')], { env: { ...process.env, KUBE_SCENARIOS_CACHE: cache } })
    let secondOut = ''
    second.stdout.on('data', (chunk: Buffer) => (secondOut += chunk))
    const secondDone = new Promise((resolve) => second.once('close', resolve))
    await vi.waitFor(() => expect(secondOut).toMatch(/waiting for slow, being built by another build \(pid \d+\)/), { timeout: 30_000, interval: 50 })
    writeFileSync(path.join(cache, 'release'), '')
    const firstOut = (await first).stdout
    await secondDone
    expect(readFileSync(path.join(cache, 'produced'), 'utf8')).toBe('a\n')
    expect(JSON.parse(firstOut.trim().split('\n').at(-1)!)).toEqual({ label: 'a', cached: false, builtElsewhere: false })
    expect(JSON.parse(secondOut.trim().split('\n').at(-1)!)).toEqual({ label: 'b', cached: true, builtElsewhere: true })
  }, 90_000)
})

describe('a torn state file gives one warning and the run goes on', () => {
  it('timings: set aside as <name>.corrupt-<time>, estimates start over', async () => {
    const cache = mkdtempSync(path.join(tmpdir(), 'ks-torn-'))
    const file = path.join(cache, 'build-timings.json')
    // What the race left: valid JSON followed by the tail of a longer write.
    writeFileSync(file, '{\n  "go kubernetes": { "seconds": 600, "at": "x" }\n}\n  "at": "y" }\n}\n')
    const { stdout, stderr } = await node(
      cache,
      `import { readTimings, recordTiming } from '${path.join(IMAGES_LIB, 'timings.mjs')}'; const t = await readTimings(); console.log(JSON.stringify(t)); await recordTiming(t, 'pod images', 12)`,
    )
    expect(stdout.trim()).toBe('{}')
    const warnings = stderr.trim().split('\n')
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(new RegExp(`warning: ${file.replaceAll('.', '\\.')} could not be read \\(.*JSON.*\\); set aside as build-timings\\.json\\.corrupt-\\d{8}T\\d{6}Z; the build estimates with typical times`))
    expect(readdirSync(cache).filter((f) => f.includes('.corrupt-'))).toHaveLength(1)
    expect(JSON.parse(readFileSync(file, 'utf8'))).toHaveProperty(['pod images', 'seconds'], 12)
  })

  it('history: a torn line is skipped with one warning, and the next record starts on a line of its own', async () => {
    const { appendHistory, readHistory } = await import('../../lib/report/history.js')
    const dir = mkdtempSync(path.join(tmpdir(), 'ks-history-'))
    const file = path.join(dir, 'history.jsonl')
    const whole = (runId: string) => ({ runId, at: '2026-12-02T00:00:00.000Z', tests: { S1: { status: 'passed' as const, durationMs: 5 } } })
    writeFileSync(file, `${JSON.stringify(whole('a'))}\n{"runId":"killed","tes`)
    appendHistory(file, whole('b'))
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    try {
      expect(readHistory(file).map((r) => r.runId)).toEqual(['a', 'b'])
      expect(warn).toHaveBeenCalledTimes(1)
      expect(String(warn.mock.calls[0]![0])).toMatch(/history\.jsonl: 1 unreadable line\(s\) skipped .*the other 2 run\(s\) are kept/)
    } finally {
      warn.mockRestore()
    }
  })

  it('history: records appended by 10 processes at once are all whole', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ks-history-'))
    const file = path.join(dir, 'history.jsonl')
    const stateFiles = path.join(IMAGES_LIB, 'state-files.mjs')
    // Records far larger than a pipe buffer (a conformance run's line is ~40 KB).
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        node(dir, `import { appendLineLockedSync } from '${stateFiles}'; appendLineLockedSync('${file}', JSON.stringify({ runId: 'r${i}', pad: 'x'.repeat(200000) }))`),
      ),
    )
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n')
    expect(lines.map((l) => (JSON.parse(l) as { runId: string }).runId).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `r${i}`).sort())
  }, 180_000)

  it('the local manifest: set aside, the offline cluster counts as not built', async () => {
    const cache = mkdtempSync(path.join(tmpdir(), 'ks-manifest-'))
    writeFileSync(path.join(cache, 'local-cluster.json'), '{"nodeImage": "kube-scenarios/node:abc", "sour')
    const previous = process.env.KUBE_SCENARIOS_CACHE
    process.env.KUBE_SCENARIOS_CACHE = cache
    vi.resetModules()
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    try {
      const { localProvider } = await import('../../lib/cluster/local.js')
      expect(await localProvider.probe(runSettings({}))).toMatchObject({ ok: false, reason: expect.stringMatching(/are not built/) })
      expect(warn).toHaveBeenCalledTimes(1)
      expect(String(warn.mock.calls[0]![0])).toMatch(/local-cluster\.json could not be read .*set aside as local-cluster\.json\.corrupt-.*; the offline cluster counts as not built/)
    } finally {
      warn.mockRestore()
      if (previous === undefined) delete process.env.KUBE_SCENARIOS_CACHE
      else process.env.KUBE_SCENARIOS_CACHE = previous
    }
    expect(existsSync(path.join(cache, 'local-cluster.json'))).toBe(false)
    // Importing the provider (testcontainers, client-node) takes seconds on a busy machine.
  }, 60_000)
})

// A build killed at any instant (SIGKILL: a CI job's timeout, the OOM killer) leaves nothing that
// breaks the next one. A small cached step that mounts as debootstrap does (a filesystem on
// <step>/rootfs/proc, another one inside it) is killed at several points; each time the rerun
// takes over the dead builder's lock at once, unmounts what it left, builds the step and leaves
// no mount under the cache. Mounting needs root, as the offline build itself does.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { clearCommand, mountsUnder as mountsUnderIn } from '../../images/lib/mounts.mjs'
import { holderState } from '../../images/lib/state-files.mjs'

const CACHE_MODULE = path.resolve(import.meta.dirname, '../../images/lib/cache.mjs')
const work = mkdtempSync(path.join(tmpdir(), 'ks-killed-build-'))
afterAll(() => {
  // Whatever a failed assertion left mounted goes before the folder (deepest first).
  for (const mount of mountsUnder(work).reverse()) spawnSync('umount', ['-l', mount])
  rmSync(work, { recursive: true, force: true })
})

/** The step: says each point it reaches and, when that point is PAUSE_AT, stays there to be killed. */
const STEP = `
  import { execFileSync } from 'node:child_process'
  import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
  import path from 'node:path'
  import { cachedStep } from ${JSON.stringify(CACHE_MODULE)}
  const at = async (point) => {
    console.log(point)
    // A timer keeps the process alive (an unsettled await alone would let it exit) until it is killed.
    if (point === process.env.PAUSE_AT) await new Promise(() => setInterval(() => {}, 60_000))
    if (point === process.env.THROW_AT) throw new Error('the step failed at ' + point)
  }
  const result = await cachedStep('mounting', ['v1'], async (out) => {
    await at('locked')
    const proc = path.join(out, 'rootfs', 'proc')
    mkdirSync(proc, { recursive: true })
    execFileSync('mount', ['-t', 'tmpfs', 'tmpfs', proc])
    await at('mounted')
    mkdirSync(path.join(proc, 'sys'))
    execFileSync('mount', ['--bind', mkdtempSync(path.join(out, '..', 'bind-source-')), path.join(proc, 'sys')])
    await at('nested')
    writeFileSync(path.join(out, 'rootfs', 'made'), 'x')
    execFileSync('umount', [path.join(proc, 'sys')])
    execFileSync('umount', [proc])
    await at('unmounted')
  }, { onWait: (line) => console.log('waiting: ' + line) })
  console.log(result.cached ? 'done: cached' : 'done: built')
`

function runStep(cache: string, pauseAt?: string) {
  return spawn(process.execPath, ['--input-type=module', '-e', STEP], { env: { ...process.env, KUBE_SCENARIOS_CACHE: cache, PAUSE_AT: pauseAt ?? '', THROW_AT: '' } })
}

/** Starts the step and resolves once it says it reached `point`, with its output so far. */
async function stepAt(cache: string, point: string) {
  const child = runStep(cache, point)
  const seen = { output: '' }
  child.stdout.on('data', (chunk: Buffer) => (seen.output += chunk))
  child.stderr.on('data', (chunk: Buffer) => (seen.output += chunk))
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', () => seen.output.split('\n').includes(point) && resolve())
    child.once('exit', () => reject(new Error(`the step ended before "${point}": ${seen.output}`)))
  })
  return { child, seen }
}

/** Mount points under `dir`, from this process's mount table (the step's mounts are in the same namespace). */
function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((mount) => mount.startsWith(`${dir}/`))
}

describe('a build killed with SIGKILL mid-step', () => {
  test.each(['locked', 'mounted', 'nested', 'unmounted'])('killed when %s: the rerun takes over at once, builds the step and leaves no mount', async (point) => {
    const cache = mkdtempSync(path.join(work, `${point}-`))
    const { child: killed } = await stepAt(cache, point)
    const gone = new Promise((resolve) => killed.once('exit', resolve))
    killed.kill('SIGKILL')
    await gone

    const started = Date.now()
    const rerun = spawnSync(process.execPath, ['--input-type=module', '-e', STEP], { env: { ...process.env, KUBE_SCENARIOS_CACHE: cache, PAUSE_AT: '' }, encoding: 'utf8', timeout: 60_000 })
    const seconds = (Date.now() - started) / 1000
    const rerunOutput = `${rerun.stdout}\n${rerun.stderr}`
    expect(rerun.status, rerunOutput).toBe(0)
    expect(rerun.stdout.trim().split('\n').at(-1), rerunOutput).toBe('done: built')
    // A dead holder's lock is taken over at once, not after it went stale (30 s).
    expect(rerun.stdout, rerunOutput).not.toContain('waiting:')
    expect(seconds, rerunOutput).toBeLessThan(15)
    expect(mountsUnder(cache), rerunOutput).toEqual([])
    const step = readdirSync(cache).find((name) => /^mounting-[0-9a-f]+$/.test(name)) ?? 'no step folder'
    expect(existsSync(path.join(cache, step, 'rootfs', 'made')), rerunOutput).toBe(true)
  }, 90_000)
})

// Each test starts node processes and mounts: more than vitest's default 5 s on a busy machine.
describe('a step that mounts unmounts in every exit path it can catch', { timeout: 60_000 }, () => {
  test('it throws: its mounts are gone and the error is its own', () => {
    const cache = mkdtempSync(path.join(work, 'throws-'))
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', STEP], { env: { ...process.env, KUBE_SCENARIOS_CACHE: cache, PAUSE_AT: '', THROW_AT: 'nested' }, encoding: 'utf8', timeout: 60_000 })
    expect(run.status).toBe(1)
    expect(run.stderr).toContain('the step failed at nested')
    expect(mountsUnder(cache)).toEqual([])
  })

  test.each(['SIGTERM', 'SIGINT'] as const)('it gets %s: its mounts are gone and the signal ends it', async (signal) => {
    const cache = mkdtempSync(path.join(work, `${signal}-`))
    const { child, seen } = await stepAt(cache, 'nested')
    const exit = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, received) => resolve(received)))
    child.kill(signal)
    expect(await exit, seen.output).toBe(signal)
    expect(mountsUnder(cache)).toEqual([])
  }, 60_000)
})

describe('what the rerun relies on', { timeout: 30_000 }, () => {
  const self = () => {
    const stat = readFileSync('/proc/self/stat', 'utf8')
    return {
      pid: process.pid,
      start: stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!,
      boot: readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(),
      pidNamespace: readlinkSync('/proc/self/ns/pid'),
    }
  }

  test("a lock's holder is dead when its pid is gone, reused by a later process (another start time) or from an earlier boot", () => {
    expect(holderState(self())).toBe('alive')
    expect(holderState({ ...self(), start: String(Number(self().start) - 1) })).toBe('dead')
    const exited = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' })
    expect(holderState({ ...self(), pid: Number(exited.stdout.trim()) })).toBe('dead')
    expect(holderState({ ...self(), boot: '00000000-0000-0000-0000-000000000000' })).toBe('dead')
    // What cannot be told is never taken over: another pid namespace, an older version's record.
    expect(holderState({ ...self(), pidNamespace: 'pid:[1]' })).toBe('unknown')
    expect(holderState(undefined)).toBe('unknown')
  })

  test('mounts under a folder, from mountinfo: unescaped, only that folder, deepest first', () => {
    const table = [
      '22 1 0:21 / /proc rw,nosuid - proc proc rw',
      '90 80 0:50 / /cache/rootfs-a/rootfs/proc rw - proc proc rw',
      '91 90 0:51 / /cache/rootfs-a/rootfs/proc/sys rw - sysfs sysfs rw',
      '92 80 0:52 / /cache/rootfs-a/rootfs/with\\040space rw - tmpfs tmpfs rw',
      '93 80 0:53 / /cache/rootfs-ab/rootfs/proc rw - proc proc rw',
    ].join('\n')
    expect(mountsUnderIn('/cache/rootfs-a', table)).toEqual(['/cache/rootfs-a/rootfs/proc/sys', '/cache/rootfs-a/rootfs/with space', '/cache/rootfs-a/rootfs/proc'])
  })

  test("the command an error about the cache names clears a folder with mounts in it", () => {
    const dir = mkdtempSync(path.join(work, 'clear-'))
    const proc = path.join(dir, 'rootfs', 'proc')
    mkdirSync(path.join(proc), { recursive: true })
    spawnSync('mount', ['-t', 'tmpfs', 'tmpfs', proc])
    mkdirSync(path.join(proc, 'sys'))
    spawnSync('mount', ['-t', 'tmpfs', 'tmpfs', path.join(proc, 'sys')])
    expect(mountsUnder(dir)).toHaveLength(2)
    const cleared = spawnSync('sh', ['-c', clearCommand(dir)], { encoding: 'utf8' })
    expect(cleared.status, cleared.stderr).toBe(0)
    expect(mountsUnder(dir)).toEqual([])
    expect(existsSync(dir)).toBe(false)
  })
})

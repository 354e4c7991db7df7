// The offline build runs phases side by side (Go modules compiling beside each other, Debian
// files arriving meanwhile): CI logs get a start and an end line per phase, a terminal one live
// line naming every running phase, never wider than the terminal.
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { createProgress } from '#images/lib/progress.mjs'

beforeEach(() => vi.useFakeTimers())
afterEach(() => vi.useRealTimers())

describe('build progress', () => {
  test('in a log: a start and an end line per phase, in the order they happen', () => {
    const written: string[] = []
    const progress = createProgress({ prefix: 'images', live: false, write: (t) => written.push(t) })
    const kubernetes = progress.phase('go kubernetes', 360)
    const traefik = progress.phase('go traefik')
    vi.advanceTimersByTime(3000)
    traefik.update('10/100 packages compiled')
    expect(traefik.done('compiled')).toBe(3)
    kubernetes.fail()
    expect(written.join('')).toBe(
      [
        '[images    0 s] go kubernetes: started (about 6 min)',
        '[images    0 s] go traefik: started',
        '[images    3 s] go traefik: compiled in 3 s',
        '[images    3 s] go kubernetes: failed after 3 s',
        '',
      ].join('\n'),
    )
  })

  test('in a log: while phases run, one line a minute with their progress', () => {
    const written: string[] = []
    const progress = createProgress({ prefix: 'images', live: false, write: (t) => written.push(t) })
    const kubernetes = progress.phase('go kubernetes', 600)
    const debian = progress.phase('debian files')
    kubernetes.update('1200/4000 packages compiled')
    vi.advanceTimersByTime(59_000)
    expect(written).toHaveLength(2)
    vi.advanceTimersByTime(1_000)
    expect(written.at(-1)).toBe('[images   60 s] go kubernetes: 1200/4000 packages compiled, 60 s of ~10 min | debian files: 60 s\n')
    debian.done('fetched')
    kubernetes.update('3000/4000 packages compiled')
    vi.advanceTimersByTime(60_000)
    expect(written.at(-1)).toBe('[images  120 s] go kubernetes: 3000/4000 packages compiled, 120 s of ~10 min\n')
    kubernetes.done('compiled')
    const count = written.length
    vi.advanceTimersByTime(180_000)
    expect(written.length).toBe(count)
  })

  test('in a terminal: one live line with every running phase, cut to the width', () => {
    const written: string[] = []
    const progress = createProgress({ prefix: 'images', live: true, write: (t) => written.push(t), columns: () => 100 })
    const kubernetes = progress.phase('go kubernetes', 360)
    const debian = progress.phase('debian files')
    kubernetes.update('1200/4000 packages compiled')
    debian.update('rootfs node: built')
    vi.advanceTimersByTime(1000)
    const live = written.at(-1)!
    expect(live.startsWith('\r\x1b[2K[images    1 s] go kubernetes: 1200/4000 packages compiled, 1 s of ~6 min | debian files: ')).toBe(true)
    expect(live.length - '\r\x1b[2K'.length).toBe(99)
    debian.done('fetched')
    // A finished phase's line replaces the live line; the next refresh shows the phases left.
    expect(written.slice(-2)).toEqual(['\r\x1b[2K', '[images    1 s] debian files: fetched in 1 s\n'])
    vi.advanceTimersByTime(1000)
    expect(written.at(-1)).toBe('\r\x1b[2K[images    2 s] go kubernetes: 1200/4000 packages compiled, 2 s of ~6 min')
    kubernetes.done('compiled')
    const count = written.length
    vi.advanceTimersByTime(5000)
    expect(written.length).toBe(count)
  })
})

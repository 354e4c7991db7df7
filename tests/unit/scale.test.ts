import { describe, expect, test } from 'vitest'
import { scaleDownVictims, type ScaleDownCandidate } from '../../lib/workloads/scale.js'

const now = 1_000_000
/** The controller read its clock exactly then. */
const at = (instant: number) => ({ after: instant, before: instant })
const pod = (name: string, node: string, readyAgoMs: number, extra: Partial<ScaleDownCandidate> = {}): ScaleDownCandidate => ({
  name,
  uid: `uid-${name}`,
  node,
  readySince: now - readyAgoMs,
  createdAt: now - readyAgoMs - 1000,
  restarts: 0,
  ...extra,
})

describe('scaleDownVictims (the ReplicaSet controller ranking)', () => {
  test('on one node the youngest go and the originals survive', () => {
    const pods = [pod('old-a', 'n1', 60_000), pod('old-b', 'n1', 60_000), pod('new-a', 'n1', 3_000), pod('new-b', 'n1', 3_000)]
    expect(scaleDownVictims(pods, 2, at(now))).toEqual(['new-a', 'new-b'])
  })

  test('pods sharing a node with more siblings go first, even when older', () => {
    const pods = [pod('old-a', 'n1', 60_000), pod('old-b', 'n1', 62_000), pod('new-a', 'n1', 3_000), pod('new-b', 'n2', 3_000)]
    expect(scaleDownVictims(pods, 2, at(now))).toEqual(['new-a', 'old-a'])
  })

  test('restarts count only between pods Ready at the same instant', () => {
    const pods = [pod('old-a', 'n1', 60_000, { restarts: 2 }), pod('new-a', 'n1', 3_000)]
    expect(scaleDownVictims(pods, 1, at(now))).toEqual(['new-a'])
    expect(scaleDownVictims([pod('x', 'n1', 60_000, { restarts: 2 }), pod('y', 'n1', 60_000)], 1, at(now))).toEqual(['x'])
  })

  test('undecidable when a pod sits at a log2 bucket edge of the decision time', () => {
    const edge = 2 ** 33 / 1e6 // 8.59 s in ms: the boundary between two buckets
    // Decided now, a is in a younger bucket and goes; within 1.5 s both share a bucket and the UID decides for b.
    const pods = [pod('a', 'n1', edge - 500, { uid: 'z' }), pod('b', 'n1', edge + 2000, { uid: 'a' })]
    expect(scaleDownVictims(pods, 1, at(now))).toEqual(['a'])
    expect(scaleDownVictims(pods, 1, { after: now, before: now + 1500 })).toBeUndefined()
  })
})

describe('scaleDownVictims ties', () => {
  test('Ready times in different seconds but one bucket: the lower UID goes, before restarts count', () => {
    const pods = [pod('a', 'n1', 60_000, { uid: 'b-uid', restarts: 5 }), pod('b', 'n1', 61_000, { uid: 'a-uid' })]
    expect(scaleDownVictims(pods, 1, at(now))).toEqual(['b'])
  })

  test('identical Ready and creation times across the cut: undecidable (the sort is unstable)', () => {
    const pods = [pod('a', 'n1', 60_000), pod('b', 'n1', 60_000)]
    expect(scaleDownVictims(pods, 1, at(now))).toBeUndefined()
  })

  test('two originals Ready in the same second and a new pod between their UIDs: the listing order decides, so undecidable', () => {
    // a and b compare by creation time (equal: neither is less); each meets c on UIDs (a < c < b).
    const pods = [pod('a', 'n1', 7_000, { uid: 'a' }), pod('b', 'n1', 7_000, { uid: 'c' }), pod('c', 'n1', 6_000, { uid: 'b' }), pod('d', 'n1', 1_000)]
    expect(scaleDownVictims(pods, 2, at(now))).toBeUndefined()
    // With the new pod's UID below both, every listing order puts it and d first.
    expect(scaleDownVictims([...pods.slice(0, 2), { ...pods[2]!, uid: '0' }, pods[3]!], 2, at(now))).toEqual(['c', 'd'])
  })
})

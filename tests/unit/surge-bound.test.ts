import { describe, expect, test } from 'vitest'
import { SurgeBound } from '../../lib/workloads/surge-bound.js'
import type { ObservedObject } from '../../lib/observe/watch.js'

let version = 100
const rv = () => String(++version)
const pod = (name: string, rs: string, deleting = false): ObservedObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, uid: name, resourceVersion: rv(), ownerReferences: [{ kind: 'ReplicaSet', name: rs, uid: rs }], ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
})
const replicaSet = (name: string, replicas: number): ObservedObject => ({
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  metadata: { name, uid: name, resourceVersion: rv() },
  spec: { replicas },
})

describe('SurgeBound: the maxSurge claim of a rollout (3 replicas, maxSurge 1)', () => {
  test('a rollout that stays within desired + maxSurge holds', () => {
    const bound = new SurgeBound(4)
    const old = [pod('o1', 'old'), pod('o2', 'old'), pod('o3', 'old')]
    bound.pods(old)
    bound.replicaSets([replicaSet('old', 3)])
    bound.replicaSets([replicaSet('new', 1)], true)
    const n1 = pod('n1', 'new')
    bound.pods([...old, n1], n1)
    bound.replicaSets([replicaSet('old', 2)], true)
    const gone = pod('o1', 'old', true)
    bound.pods([gone, old[1]!, old[2]!, n1], gone)
    const verdict = bound.verdict()
    expect(verdict).toMatchObject({ maxLivePods: 4, maxReplicaSetTotal: 4, moments: [], holds: true, changes: { pods: 2, replicaSets: 2 } })
  })

  test('a fifth pod created before the old pod its ReplicaSet was shrunk for is marked is explained', () => {
    const bound = new SurgeBound(4)
    const old = [pod('o1', 'old'), pod('o2', 'old'), pod('o3', 'old')]
    const n1 = pod('n1', 'new')
    bound.pods([...old, n1])
    bound.replicaSets([replicaSet('old', 3), replicaSet('new', 1)])
    const shrunk = replicaSet('old', 2)
    const grown = replicaSet('new', 2)
    const n2 = pod('n2', 'new')
    // The pod watch delivers n2 before the ReplicaSet watch delivers the sizes that came before it.
    bound.pods([...old, n1, n2], n2)
    bound.replicaSets([shrunk], true)
    bound.replicaSets([grown], true)
    const verdict = bound.verdict()
    expect(verdict.maxLivePods).toBe(5)
    expect(verdict.moments.map((m) => m.unexplained)).toEqual([0])
    expect(verdict.holds).toBe(true)
  })

  test('a pod above the bound that no shrunk ReplicaSet accounts for fails the claim', () => {
    const bound = new SurgeBound(4)
    const old = [pod('o1', 'old'), pod('o2', 'old'), pod('o3', 'old')]
    bound.replicaSets([replicaSet('old', 3), replicaSet('new', 2)])
    const extra = [pod('n1', 'new'), pod('n2', 'new')]
    bound.pods([...old, ...extra], extra[1])
    const verdict = bound.verdict()
    expect(verdict.moments.map((m) => m.unexplained)).toEqual([1])
    expect(verdict.holds).toBe(false)
  })

  test('a shrink recorded after the pod appeared does not explain it', () => {
    const bound = new SurgeBound(4)
    bound.replicaSets([replicaSet('old', 3), replicaSet('new', 2)])
    const pods = [pod('o1', 'old'), pod('o2', 'old'), pod('o3', 'old'), pod('n1', 'new'), pod('n2', 'new')]
    bound.pods(pods, pods[4])
    bound.replicaSets([replicaSet('old', 2)], true)
    expect(bound.verdict().holds).toBe(false)
  })

  test('ReplicaSet sizes summing above the bound fail the claim even when the pods never did', () => {
    const bound = new SurgeBound(4)
    bound.replicaSets([replicaSet('old', 3), replicaSet('new', 2)])
    bound.pods([pod('o1', 'old'), pod('o2', 'old'), pod('o3', 'old')])
    expect(bound.verdict()).toMatchObject({ maxReplicaSetTotal: 5, holds: false })
  })
})

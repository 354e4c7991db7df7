import { describe, expect, test } from 'vitest'
import { RollbackError, historyOf, planRollback, previousRevision, revisionAfterRollback, type DeploymentLike, type ReplicaSetLike } from '../../lib/workloads/rollout.js'

const owner = [{ uid: 'd-uid', controller: true }]
function rs(name: string, revision: number, image: string, changeCause?: string): ReplicaSetLike {
  return {
    metadata: {
      name,
      ownerReferences: owner,
      annotations: { 'deployment.kubernetes.io/revision': String(revision), ...(changeCause ? { 'kubernetes.io/change-cause': changeCause } : {}) },
    },
    spec: { replicas: 0, template: { metadata: { labels: { app: 'web', 'pod-template-hash': name.split('-').at(-1)! } }, spec: { containers: [{ name: 'nginx', image }] } } },
  }
}
const deployment: DeploymentLike = {
  metadata: { name: 'web', uid: 'd-uid', annotations: { 'deployment.kubernetes.io/revision': '3', 'kubernetes.io/change-cause': 'third', 'team': 'a' } },
  spec: { template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx:3' }] } } },
}
const sets = [rs('web-aaa', 1, 'nginx:1', 'first'), rs('web-bbb', 2, 'nginx:2', 'second'), rs('web-ccc', 3, 'nginx:3', 'third')]

describe('rollback arithmetic (kubectl rollout undo)', () => {
  test('the previous revision is the second newest, whatever the order', () => {
    expect(previousRevision([3, 1, 2])).toBe(2)
    expect(previousRevision([4, 2, 3])).toBe(3)
    expect(previousRevision([1])).toBeUndefined()
  })

  test('a rolled-back revision is renumbered one past the newest', () => {
    expect(revisionAfterRollback([1, 2, 3])).toBe(4)
    expect(revisionAfterRollback([2, 3, 4])).toBe(5)
  })

  test('rollback to revision 1 takes its template without pod-template-hash and its change-cause', () => {
    const plan = planRollback(deployment, sets, 1)
    expect(plan.toRevision).toBe(1)
    expect(plan.replicaSet).toBe('web-aaa')
    const [template, annotations] = plan.patch.map((p) => p.value) as [{ metadata: { labels: Record<string, string> } }, Record<string, string>]
    expect(template.metadata.labels).toEqual({ app: 'web' })
    // kubectl keeps only its skip-list annotations from the Deployment; the rest come from the ReplicaSet.
    expect(annotations).toEqual({ 'deployment.kubernetes.io/revision': '3', 'kubernetes.io/change-cause': 'first' })
  })

  test('a revision recorded without a change-cause rolls back to none, not to the current one (kubectl shows <none>)', () => {
    const plan = planRollback(deployment, [rs('web-aaa', 1, 'nginx:1'), sets[1]!, sets[2]!], 1)
    expect(plan.patch[1]!.value).toEqual({ 'deployment.kubernetes.io/revision': '3' })
  })

  test('rolling back to the template the Deployment already runs patches nothing', () => {
    const plan = planRollback(deployment, sets, 3)
    expect(plan).toMatchObject({ toRevision: 3, patch: [], skipped: 'current template already matches revision 3' })
  })

  test('rollback without a revision goes to the previous one', () => {
    expect(planRollback(deployment, sets).replicaSet).toBe('web-bbb')
  })

  test('unknown revisions, no history and paused deployments are refused with the reason', () => {
    expect(() => planRollback(deployment, sets, 7)).toThrow(new RollbackError('deployment web has no revision 7 (history: 1, 2, 3)'))
    expect(() => planRollback(deployment, [sets[2]!])).toThrow(/no previous revision/)
    expect(() => planRollback({ ...deployment, spec: { ...deployment.spec, paused: true } }, sets, 1)).toThrow(/paused/)
  })

  test('history is sorted by revision with change-causes and images', () => {
    expect(historyOf([sets[2]!, sets[0]!, sets[1]!]).map((r) => [r.revision, r.changeCause, r.images[0]])).toEqual([
      [1, 'first', 'nginx:1'],
      [2, 'second', 'nginx:2'],
      [3, 'third', 'nginx:3'],
    ])
  })
})

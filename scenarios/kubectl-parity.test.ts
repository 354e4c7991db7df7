// The harness's kubectl-like helpers against kubectl itself, on the same cluster: the book's
// rollout sequence (set image twice, undo to revision 1, undo) run with the cluster's own kubectl
// on one Deployment and with the helpers on its twin. After each step both Deployments must show
// the same history (revisions, change-causes, images, replicas), and each history must read the
// same through `kubectl rollout history` and `rolloutHistory`. The scale precondition too.
import { describe, expect } from 'vitest'
import {
  ScalePreconditionError,
  deploymentRolledOut,
  kubectl,
  objectsMatch,
  parseRolloutHistory,
  rollback,
  rolloutHistory,
  scale,
  setImage,
  useScenario,
  CHANGE_CAUSE_ANNOTATION,
  REVISION_ANNOTATION,
  type Revision,
} from '../lib/index.js'

const s = useScenario('kubectl-parity')
const [byKubectl, byHelpers] = ['by-kubectl', 'by-helpers']
const ref = (name: string) => ({ namespace: s.namespace, name })

/** kubectl in the scenario's namespace; a failure fails the step with kubectl's own words. */
async function run(...args: string[]): Promise<string> {
  const result = await kubectl(s.cluster, ['-n', s.namespace, ...args])
  expect(result.exitCode, `kubectl ${args.join(' ')}: ${result.stderr}`).toBe(0)
  return result.stdout
}

/** A step of the book, once with kubectl, once with the helpers. */
interface BookStep {
  name: string
  withKubectl(): Promise<unknown>
  withHelpers(): Promise<unknown>
  /** The change-cause the newest revision must carry once the step settled (none: undefined). */
  newestCause?: string
}

const image = (upstream: string) => s.cluster.imageOverrides[upstream] ?? upstream
const setImageStep = (upstream: string): BookStep => ({
  name: `set image nginx=${upstream} with a change-cause`,
  newestCause: `set image nginx=${upstream}`,
  // --record is gone from kubectl: the change-cause is annotated right after, as the docs say.
  withKubectl: async () => {
    await run('set', 'image', `deployment/${byKubectl}`, `nginx=${image(upstream)}`)
    await run('annotate', '--overwrite', `deployment/${byKubectl}`, `${CHANGE_CAUSE_ANNOTATION}=set image nginx=${upstream}`)
  },
  withHelpers: () => setImage(s.api, ref(byHelpers), 'nginx', upstream, { changeCause: `set image nginx=${upstream}`, imageOverrides: s.cluster.imageOverrides }),
})

const BOOK: BookStep[] = [
  setImageStep('nginx:1.28'),
  setImageStep('httpd:2.4'),
  {
    name: 'undo to revision 1 (recorded without a change-cause)',
    withKubectl: () => run('rollout', 'undo', `deployment/${byKubectl}`, '--to-revision=1'),
    withHelpers: () => rollback(s.api, ref(byHelpers), 1),
  },
  {
    name: 'undo to the previous revision',
    newestCause: 'set image nginx=httpd:2.4',
    withKubectl: () => run('rollout', 'undo', `deployment/${byKubectl}`),
    withHelpers: () => rollback(s.api, ref(byHelpers)),
  },
]

/** What must agree between the twins: everything but the ReplicaSet names. */
const comparable = (history: Revision[]) => history.map(({ revision, changeCause, images, replicas }) => ({ revision, changeCause, images, replicas }))

describe('kubectl-parity', () => {
  s.test('set image, rollout history, undo and undo --to-revision leave the same history as kubectl does', async () => {
    await s.step('apply the twin Deployments', () => s.apply('kubectl-parity/two-deployments.yaml'))
    for (const name of [byKubectl, byHelpers]) await s.waitFor(deploymentRolledOut(s.namespace, name, 2))

    for (const step of BOOK) {
      await s.step(`kubectl: ${step.name}`, step.withKubectl)
      await s.step(`helpers: ${step.name}`, step.withHelpers)
      for (const name of [byKubectl, byHelpers]) {
        await s.waitFor(deploymentRolledOut(s.namespace, name, 2))
        // The controller copies the Deployment's change-cause to the newest ReplicaSet on its next sync.
        await s.waitFor(newestRevisionCarries(name, step.newestCause))
      }
      const [viaKubectl, viaHelpers] = [await rolloutHistory(s.api, ref(byKubectl)), await rolloutHistory(s.api, ref(byHelpers))]
      s.timeline.note(`after "${step.name}": ${JSON.stringify(comparable(viaHelpers).map((r) => [r.revision, r.changeCause ?? '<none>']))}`)
      expect(comparable(viaHelpers), `after "${step.name}"`).toEqual(comparable(viaKubectl))
      for (const [name, history] of [[byKubectl, viaKubectl], [byHelpers, viaHelpers]] as const) {
        const shown = parseRolloutHistory(await run('rollout', 'history', `deployment/${name}`))
        expect(history.map((r) => ({ revision: r.revision, ...(r.changeCause ? { changeCause: r.changeCause } : {}) })), `${name}: rolloutHistory against kubectl rollout history`).toEqual(shown)
      }
    }
    // The book's revision numbers, and revision 4 (revision 1 rolled back to) without a change-cause.
    const final = await rolloutHistory(s.api, ref(byHelpers))
    expect(final.map((r) => [r.revision, r.changeCause])).toEqual([
      [2, 'set image nginx=nginx:1.28'],
      [4, undefined],
      [5, 'set image nginx=httpd:2.4'],
    ])
  })

  s.test('a scale with a wrong current-replicas precondition is refused by both and changes neither', async () => {
    const refused = await kubectl(s.cluster, ['-n', s.namespace, 'scale', `deployment/${byKubectl}`, '--current-replicas=5', '--replicas=3'])
    expect(refused.exitCode).not.toBe(0)
    expect(refused.stderr).toMatch(/Expected replicas to be 5, was 2/)
    const helperRefusal = await scale(s.api, { kind: 'Deployment', ...ref(byHelpers), replicas: 3, currentReplicas: 5 }).catch((error: unknown) => error)
    expect(helperRefusal).toBeInstanceOf(ScalePreconditionError)
    for (const name of [byKubectl, byHelpers]) {
      expect((await s.api.apps.readNamespacedDeployment(ref(name))).spec?.replicas, name).toBe(2)
    }
    await s.step('both scale to 3 with the true count', async () => {
      await run('scale', `deployment/${byKubectl}`, '--current-replicas=2', '--replicas=3')
      await scale(s.api, { kind: 'Deployment', ...ref(byHelpers), replicas: 3, currentReplicas: 2 })
    })
    for (const name of [byKubectl, byHelpers]) await s.waitFor(deploymentRolledOut(s.namespace, name, 3))
  })
})

/** The Deployment's newest ReplicaSet carries this change-cause (or none). */
function newestRevisionCarries(deployment: string, cause: string | undefined) {
  return objectsMatch(
    { apiVersion: 'apps/v1', kind: 'ReplicaSet', namespace: s.namespace, labelSelector: `app=${deployment}` },
    `the newest revision of ${deployment} carries change-cause ${cause ?? '<none>'}`,
    (sets) => {
      const newest = [...sets].sort((a, b) => Number(b.metadata.annotations?.[REVISION_ANNOTATION]) - Number(a.metadata.annotations?.[REVISION_ANNOTATION]))[0]
      return Boolean(newest && newest.metadata.annotations?.[CHANGE_CAUSE_ANNOTATION] === cause)
    },
  )
}

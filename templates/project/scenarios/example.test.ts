// An example scenario: fixtures, then the action, then the observed outcome, each a named step
// that shows up in the HTML report (reports/latest/index.html).
import { describe, expect } from 'vitest'
import { deploymentRolledOut, podsReady, rolloutHistory, setImage, useScenario, waitForHttp } from 'kube-scenarios'

const s = useScenario('example') // its own namespace; fixture paths are relative to fixtures/
const web = () => ({ namespace: s.namespace, name: 'web' })

describe('example', () => {
  s.test('E1 web runs two Ready pods and serves its page through its Service', async () => {
    await s.step('apply web (Deployment + NodePort Service)', () => s.apply('example/web.yaml'))
    const pods = await s.step('wait for 2 Ready pods', () => s.waitFor(podsReady(s.namespace, 'app=web', 2)))
    expect(pods).toHaveLength(2)
    const url = await s.step('a URL for Service web, port 80', () => s.serviceUrl('web', 80))
    const page = await s.step('GET the Service', () => waitForHttp(url, (r) => r.status === 200, { description: 'web answers through its Service', timeoutMs: 30_000 }))
    expect(page.body).toContain('Welcome to nginx!')
  })

  // builds on: E1
  s.test('E2 a new image rolls out as revision 2', async () => {
    await s.step('set image nginx:1.28', () => setImage(s.api, web(), 'nginx', 'nginx:1.28', { imageOverrides: s.cluster.imageOverrides }))
    await s.step('wait for the rollout', () => s.waitFor(deploymentRolledOut(s.namespace, 'web', 2)))
    const history = await rolloutHistory(s.api, web())
    expect(history.map((r) => r.revision)).toEqual([1, 2])
  })
})

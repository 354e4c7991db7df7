// Your own app under test: the image you built (`npm run build:app`) is put into the cluster's
// nodes before the first test (`images`), then deployed and asked for its page.
import { describe, expect } from 'vitest'
import { deploymentRolledOut, useScenario, waitForHttp } from 'kube-scenarios'

const s = useScenario('example-app', { images: ['example-app:dev'] })

describe('example-app', () => {
  s.test('A1 the app built here rolls out and serves its own page', async () => {
    await s.step('apply example-app (Deployment + ClusterIP Service)', () => s.apply('example/app.yaml'))
    await s.step('wait for the rollout', () => s.waitFor(deploymentRolledOut(s.namespace, 'example-app')))
    const url = await s.step('a URL for Service example-app, port 80', () => s.serviceUrl('example-app', 80))
    const page = await s.step('GET the Service', () => waitForHttp(url, (r) => r.status === 200, { description: 'example-app answers through its Service', timeoutMs: 30_000 }))
    expect(page.body).toContain('Hello from example-app')
  })
})

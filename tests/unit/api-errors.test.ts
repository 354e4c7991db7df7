// A failed call through the typed clients reads like kubectl and keeps the API's Status.
import { afterAll, beforeAll, expect, test } from 'vitest'
import { ApiError, createClients, isNotFound } from '../../lib/api/client.js'
import { startFakeApiServer, type FakeApiServer } from './fake-api-server.js'

let server: FakeApiServer
beforeAll(async () => {
  server = await startFakeApiServer((_req, res) => {
    const status = { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'deployments.apps "my-nginx" not found', reason: 'NotFound', details: { name: 'my-nginx', group: 'apps', kind: 'deployments' }, code: 404 }
    res.writeHead(404, { 'content-type': 'application/json', 'audit-id': 'abc' }).end(JSON.stringify(status))
  })
})
afterAll(() => server.close())

test('a 404 from a typed client names the object, the reason and the request, and keeps the Status', async () => {
  const error = await createClients(server.kubeconfig).apps.readNamespacedDeployment({ namespace: 'demo', name: 'my-nginx' }).catch((e: unknown) => e)
  expect(error).toBeInstanceOf(ApiError)
  expect((error as ApiError).message).toBe('deployments.apps "my-nginx" not found (NotFound, GET /apis/apps/v1/namespaces/demo/deployments/my-nginx)')
  expect((error as ApiError).status).toMatchObject({ reason: 'NotFound', details: { name: 'my-nginx' } })
  expect((error as ApiError).code).toBe(404)
  expect(isNotFound(error)).toBe(true)
  expect((error as ApiError).message).not.toMatch(/audit-id|HTTP-Code|Headers/)
})

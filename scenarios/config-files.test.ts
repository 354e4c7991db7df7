// Recipe 6, "Working with configuration files": YAML and JSON say the same thing, the minimal
// objects run, the schema is in the cluster, broken files are refused whole, selectors stay put.
import { describe, expect, test } from 'vitest'
import {
  FixtureError,
  componentSchema,
  deploymentRolledOut,
  openApiDocument,
  podReady,
  podsReady,
  resolveSchema,
  schemaAtPath,
  serviceEndpointsReady,
  useScenario,
  waitForFetchFromPod,
  type KubeObject,
} from '../lib/index.js'

const s = useScenario('config-files')
const DEPLOYMENT = 'io.k8s.api.apps.v1.Deployment'

/** C4's broken fixtures: a valid ConfigMap first, then a Deployment broken in one way, and what the refusal says. */
const BROKEN_FIXTURES = [
  {
    what: 'a misspelt field',
    name: 'broken-misspelt-field.yaml',
    deployment: 'misspelt-field-nginx',
    field: 'spec.template.spec.containers[name="nginx"].imagePullpolicy',
    reason: "unknown field (misspelt, or not in this kind's schema)",
  },
  { what: 'a wrong type', name: 'broken-wrong-type.yaml', deployment: 'wrong-type-nginx', field: 'spec.replicas', reason: 'wrong type: expected numeric (int or float), got string' },
  { what: 'a missing required field', name: 'broken-missing-field.yaml', deployment: 'missing-field-nginx', field: 'spec.template.spec.containers[0].image', reason: 'Required value' },
  { what: 'bad YAML', name: 'broken-yaml.yaml', deployment: 'bad-yaml-nginx', field: undefined, reason: 'invalid YAML at line 15, column 11: Nested mappings are not allowed in compact mappings' },
]

describe('config-files', () => {
  s.test('C1 the same Pod written in YAML and in JSON is stored as the same object', async () => {
    const [fromYaml] = await s.step('apply my-pod.yaml', () => s.apply('config-files/my-pod.yaml'))
    const [fromJson] = await s.step('apply my-pod.json', () => s.apply('config-files/my-pod.json'))
    expect([fromYaml!.stored.metadata.name, fromJson!.stored.metadata.name]).toEqual(['my-pod-yaml', 'my-pod-json'])
    expect(withoutGeneratedFields(fromJson!.stored)).toEqual(withoutGeneratedFields(fromYaml!.stored))
    await s.step('both pods become Ready', () => Promise.all(['my-pod-yaml', 'my-pod-json'].map((name) => s.waitFor(podReady(s.namespace, name)))))
  })

  s.test('C2 the minimal Pod, Deployment and Service (required fields only) apply, run and serve', async () => {
    await s.step('apply the minimal Pod, Deployment and Service', () =>
      s.apply('config-files/minimal-pod.yaml', 'config-files/minimal-deployment.yaml', 'config-files/minimal-service.yaml'),
    )
    await s.step('minimal-pod becomes Ready', () => s.waitFor(podReady(s.namespace, 'minimal-pod')))
    await s.step('minimal-deployment rolls out its one replica', () => s.waitFor(deploymentRolledOut(s.namespace, 'minimal-deployment', 1)))
    const [backend] = await s.waitFor(podsReady(s.namespace, 'app=minimal', 1))
    const endpoints = await s.step('minimal-service has the Deployment pod as its endpoint', () => s.waitFor(serviceEndpointsReady(s.namespace, 'minimal-service', 1)))
    expect(endpoints).toEqual([backend!.status?.podIP])
    const page = await s.step('GET http://minimal-service from minimal-pod', () =>
      waitForFetchFromPod(s.api, { namespace: s.namespace, name: 'minimal-pod' }, 'http://minimal-service/', (f) => f.outcome === 'ok', {
        description: 'minimal-pod reaches the Deployment through minimal-service',
      }),
    )
    expect(page.body).toContain('It works!')
  })

  s.test("C3 the Deployment path spec.template.spec.containers and its field types are in the cluster's OpenAPI v3 schema", async () => {
    const index = await s.step('GET /openapi/v3', () => s.api.raw.request<{ paths: Record<string, unknown> }>('GET', '/openapi/v3'))
    expect(Object.keys(index.paths)).toContain('apis/apps/v1')
    const schema = await s.step('GET the apps/v1 document', () => openApiDocument(s.api, 'apps/v1'))
    expect(componentSchema(schema, DEPLOYMENT)['x-kubernetes-group-version-kind']).toContainEqual({ group: 'apps', version: 'v1', kind: 'Deployment' })

    expect(schemaAtPath(schema, DEPLOYMENT, 'spec').name).toBe('io.k8s.api.apps.v1.DeploymentSpec')
    expect(schemaAtPath(schema, DEPLOYMENT, 'spec.template').name).toBe('io.k8s.api.core.v1.PodTemplateSpec')
    const podSpec = schemaAtPath(schema, DEPLOYMENT, 'spec.template.spec')
    expect(podSpec.name).toBe('io.k8s.api.core.v1.PodSpec')
    expect(podSpec.required).toContain('containers')
    const containers = schemaAtPath(schema, DEPLOYMENT, 'spec.template.spec.containers')
    expect(containers.type).toBe('array')
    const container = resolveSchema(schema, containers.items!)
    expect(container).toMatchObject({ name: 'io.k8s.api.core.v1.Container', type: 'object' })
    expect(container.required).toContain('name')
    expect(container.properties?.name?.type).toBe('string')
    expect(container.properties?.image?.type).toBe('string')
    expect(schemaAtPath(schema, DEPLOYMENT, 'spec.template.spec.containers.ports').type).toBe('array')
    expect(schemaAtPath(schema, DEPLOYMENT, 'spec.replicas')).toMatchObject({ type: 'integer', format: 'int32' })
  })

  test.each(BROKEN_FIXTURES.map((broken) => [broken.what, broken] as const))('C4 a fixture with %s is rejected before anything is applied, naming file, document and field', async (_what, { name, deployment, field, reason }) => {
    const file = `config-files/${name}`
    const refused = await s.step(`apply ${file}`, () => s.apply(file).then(() => undefined, (error: unknown) => error))
    expect(refused).toBeInstanceOf(FixtureError)
    const error = refused as FixtureError
    expect({ file: error.file, document: error.document, field: error.field }).toEqual({ file, document: 2, field })
    expect(error.reason).toBe(reason)
    const where = field ? `${file}, document 2 (Deployment ${deployment}): field ${field}` : `${file}, document 2`
    expect(error.message).toBe(`${where}: ${reason}`)
    // Nothing was applied, not even the valid first document (a ConfigMap).
    const configMaps = await s.api.core.listNamespacedConfigMap({ namespace: s.namespace })
    expect(configMaps.items.map((c) => c.metadata?.name)).toEqual(['kube-root-ca.crt'])
    const deployments = await s.api.apps.listNamespacedDeployment({ namespace: s.namespace })
    expect(deployments.items.map((d) => d.metadata?.name)).not.toContain(deployment)
  })

  s.test("C5 changing a Deployment's selector is refused as immutable and the stored selector stays", async () => {
    await s.step('apply selector-nginx', () => s.apply('config-files/selector-nginx.yaml'))
    const before = await s.api.apps.readNamespacedDeployment({ namespace: s.namespace, name: 'selector-nginx' })
    const refused = await s.step('apply selector-nginx with a new selector', () =>
      s.apply('config-files/selector-nginx-new-selector.yaml').then(() => undefined, (error: unknown) => error),
    )
    expect(refused).toBeInstanceOf(FixtureError)
    const error = refused as FixtureError
    expect(error.field).toBe('spec.selector')
    expect(error.reason).toMatch(/field is immutable/)
    expect(error.message).toMatch(/^config-files\/selector-nginx-new-selector\.yaml, document 1 \(Deployment selector-nginx\): field spec\.selector: .*field is immutable/)
    const after = await s.api.apps.readNamespacedDeployment({ namespace: s.namespace, name: 'selector-nginx' })
    expect(after.spec?.selector).toEqual({ matchLabels: { app: 'selector-nginx' } })
    expect(after.metadata?.generation).toBe(before.metadata?.generation)
  })
})

/** Metadata the server sets per object (the name differs on purpose). */
const GENERATED_METADATA = ['name', 'uid', 'resourceVersion', 'creationTimestamp', 'generation', 'managedFields']

/**
 * What is left of a stored object once what the server generates per object is taken out: the
 * generated metadata, the status, and the random suffix of the service account token volume it
 * mounts into every pod.
 */
function withoutGeneratedFields(object: KubeObject): unknown {
  const metadata = Object.fromEntries(Object.entries(object.metadata).filter(([key]) => !GENERATED_METADATA.includes(key)))
  const spec = JSON.stringify(object.spec).replace(/kube-api-access-[a-z0-9]{5}/g, 'kube-api-access-<generated>')
  return { apiVersion: object.apiVersion, kind: object.kind, metadata, spec: JSON.parse(spec) }
}

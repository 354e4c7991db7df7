import { describe, expect, test } from 'vitest'
import { resolveSchema, schemaAtPath, type OpenApiDocument } from '../../lib/api/openapi.js'

// The shape Kubernetes publishes: object fields refer to components through a one-element allOf.
const ref = (name: string) => ({ allOf: [{ $ref: `#/components/schemas/${name}` }], default: {} })
const document: OpenApiDocument = {
  components: {
    schemas: {
      Deployment: { type: 'object', properties: { spec: ref('DeploymentSpec') } },
      DeploymentSpec: { type: 'object', properties: { replicas: { type: 'integer', format: 'int32' }, template: ref('PodTemplateSpec') } },
      PodTemplateSpec: { type: 'object', properties: { spec: ref('PodSpec') } },
      PodSpec: { type: 'object', required: ['containers'], properties: { containers: { type: 'array', items: ref('Container') } } },
      Container: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, image: { type: 'string' } } },
      Plain: { type: 'object', properties: { other: { $ref: '#/components/schemas/Container' } } },
    },
  },
}

describe('schemaAtPath', () => {
  test('follows allOf $refs down a dotted path, naming the component it lands on', () => {
    expect(schemaAtPath(document, 'Deployment', 'spec.template.spec')).toMatchObject({ name: 'PodSpec', required: ['containers'] })
    expect(schemaAtPath(document, 'Deployment', 'spec.replicas')).toEqual({ type: 'integer', format: 'int32' })
  })

  test('an array field comes back as the array; its items resolve to the element schema', () => {
    const containers = schemaAtPath(document, 'Deployment', 'spec.template.spec.containers')
    expect(containers.type).toBe('array')
    expect(resolveSchema(document, containers.items!)).toMatchObject({ name: 'Container', required: ['name'] })
  })

  test('a path through an array steps into its items', () => {
    expect(schemaAtPath(document, 'Deployment', 'spec.template.spec.containers.image')).toEqual({ type: 'string' })
  })

  test('plain $refs resolve too', () => {
    expect(schemaAtPath(document, 'Plain', 'other').name).toBe('Container')
  })

  test('a missing field names the path walked and the fields that exist there', () => {
    expect(() => schemaAtPath(document, 'Deployment', 'spec.template.spec.containerz')).toThrow(
      'Deployment has no field spec.template.spec.containerz (PodSpec at spec.template.spec has: containers)',
    )
  })

  test('an unknown component is named', () => {
    expect(() => schemaAtPath(document, 'StatefulSet', 'spec')).toThrow('the OpenAPI document has no schema StatefulSet')
  })
})

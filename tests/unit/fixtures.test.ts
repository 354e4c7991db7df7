import { describe, expect, test } from 'vitest'
import { ApiError } from '../../lib/api/client.js'
import { FixtureError, describeRejection, overrideImages, parseFixture, resolveImage, type KubeObject } from '../../lib/api/fixtures.js'

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: my-nginx
spec:
  template:
    spec:
      initContainers: [{ name: init, image: busybox:1.36 }]
      containers: [{ name: nginx, image: docker.io/library/nginx:1.27 }, { name: other, image: quay.io/x/y:1 }]
`

function rejection(file: string, text: string): FixtureError {
  try {
    parseFixture(file, text)
  } catch (error) {
    if (error instanceof FixtureError) return error
    throw error
  }
  throw new Error('expected a FixtureError')
}

describe('parseFixture', () => {
  test('reads every document of a multi-document YAML file, numbered from 1, skipping empty ones', () => {
    const docs = parseFixture('a.yaml', `${deployment}---\n---\napiVersion: v1\nkind: Service\nmetadata: { name: svc }\n`)
    expect(docs.map((d) => [d.document, d.object.kind])).toEqual([
      [1, 'Deployment'],
      [3, 'Service'],
    ])
  })

  test('reads JSON', () => {
    const [doc] = parseFixture('pod.json', JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } }))
    expect(doc?.object.metadata.name).toBe('p')
  })

  test('bad YAML names the file, the document and the line', () => {
    const error = rejection('scaling/bad.yaml', `${deployment}---\nkind: Service\nmetadata: [unclosed\n`)
    expect(error.message).toMatch(/^scaling\/bad\.yaml, document 2: invalid YAML at line \d+/)
  })

  test('bad YAML states the position once, ahead of the parser message', () => {
    const error = rejection('bad.yaml', 'a: 1\n---\nmetadata:\n  note: nginx: the web server\n')
    expect(error.message).toBe('bad.yaml, document 2: invalid YAML at line 4, column 9: Nested mappings are not allowed in compact mappings')
  })

  test('bad JSON names the file', () => {
    expect(rejection('x.json', '{ "kind": ').message).toMatch(/^x\.json, document 1: invalid JSON/)
  })

  test.each([
    ['apiVersion', 'kind: Pod\nmetadata: { name: p }\n', /document 1 \(Pod p\): field apiVersion: required field is missing/],
    ['kind', 'apiVersion: v1\nmetadata: { name: p }\n', /document 1: field kind: required field is missing/],
    ['metadata.name', 'apiVersion: v1\nkind: Pod\nmetadata: { labels: {} }\n', /\(Pod\): field metadata.name: required field is missing/],
    ['a bad name', 'apiVersion: v1\nkind: Pod\nmetadata: { name: My_Pod }\n', /field metadata.name: expected a DNS-1123 name/],
    ['a list', '- 1\n- 2\n', /expected a Kubernetes object \(a mapping\), got a list/],
  ])('a missing or malformed %s is named with its field path', (_what, text, message) => {
    expect(rejection('f.yaml', text).message).toMatch(message)
  })
})

describe('image override', () => {
  const [doc] = parseFixture('d.yaml', deployment)
  const overrides = { 'nginx:1.27': 'localhost/kube-scenarios/nginx:1.27', 'busybox:1.36': 'localhost/kube-scenarios/busybox:1.36' }

  test('rewrites containers and init containers, matching Docker Hub references with or without their prefix', () => {
    const spec = (overrideImages(doc!.object, overrides).spec as { template: { spec: { containers: Array<{ image: string }>; initContainers: Array<{ image: string }> } } }).template.spec
    expect(spec.containers.map((c) => c.image)).toEqual(['localhost/kube-scenarios/nginx:1.27', 'quay.io/x/y:1'])
    expect(spec.initContainers[0]!.image).toBe('localhost/kube-scenarios/busybox:1.36')
  })

  test('leaves the original untouched', () => {
    overrideImages(doc!.object, overrides)
    expect(JSON.stringify(doc!.object)).toContain('docker.io/library/nginx:1.27')
  })

  test('finds CronJob pod templates', () => {
    const cron = { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'c' }, spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } } } } } } as KubeObject
    expect(JSON.stringify(overrideImages(cron, overrides))).toContain('localhost/kube-scenarios/busybox:1.36')
  })

  test('unknown images pass through', () => {
    expect(resolveImage('ghcr.io/a/b:2', overrides)).toBe('ghcr.io/a/b:2')
  })
})

describe('describeRejection turns server messages into field paths', () => {
  const api = (message: string, causes?: Array<{ field: string; message: string }>) =>
    new ApiError('PATCH', '/x', 400, { message, reason: 'BadRequest', details: causes ? { causes } : undefined }, '')

  test.each([
    ['.spec.replicaz: field not declared in schema', 'spec.replicaz', /unknown field/],
    ['failed to create typed patch object (ns/my-nginx; apps/v1, Kind=Deployment): .spec.template.spec.containers[name="nginx"].imagee: field not declared in schema', 'spec.template.spec.containers[name="nginx"].imagee', /unknown field/],
    ['strict decoding error: unknown field "spec.replicaz"', 'spec.replicaz', /unknown field/],
    ['.spec.replicas: expected numeric (int or float), got string: "two"', 'spec.replicas', /wrong type/],
  ])('%s', (message, field, reason) => {
    const described = describeRejection(api(message))
    expect(described.field).toBe(field)
    expect(described.reason).toMatch(reason)
  })

  test('causes with a field win', () => {
    expect(describeRejection(api('Deployment.apps "x" is invalid', [{ field: 'spec.template.spec.containers[0].image', message: 'Required value' }]))).toEqual({
      field: 'spec.template.spec.containers[0].image',
      reason: 'Required value',
    })
  })
})

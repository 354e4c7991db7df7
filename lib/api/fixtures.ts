// Fixtures: YAML (multi-document) and JSON files under fixtures/, validated in full before any of
// them is applied, then applied with server-side apply under one field manager.
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { parseAllDocuments } from 'yaml'
import { ApiError, type Clients } from './client.js'
import { runSettings } from '../config/settings.js'

/** Where fixture paths are resolved: KUBE_SCENARIOS_FIXTURES (the vitest preset sets it), else ./fixtures of the project. */
export const FIXTURES_DIR = runSettings().fixtures
export const FIELD_MANAGER = 'kube-scenarios'

/** A Kubernetes object as written in a fixture. */
export interface KubeObject {
  apiVersion: string
  kind: string
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }
  [field: string]: unknown
}

/** One document of a fixture file, with where it came from (for error messages). */
export interface FixtureDocument {
  /** Path relative to fixtures/, as the scenario named it. */
  file: string
  /** 1-based position of the document in its file. */
  document: number
  object: KubeObject
}

/** A fixture that cannot be applied; names the file, the document and the field. */
export class FixtureError extends Error {
  constructor(
    readonly file: string,
    readonly document: number | undefined,
    readonly field: string | undefined,
    readonly reason: string,
    readonly object?: { kind?: string; name?: string },
  ) {
    const where = [
      file,
      document === undefined ? undefined : `document ${document}`,
      object?.kind ? `(${object.kind}${object.name ? ` ${object.name}` : ''})` : undefined,
    ]
      .filter(Boolean)
      .join(', ')
      .replace(', (', ' (')
    super(`${where}: ${field ? `field ${field}: ` : ''}${reason}`)
    this.name = 'FixtureError'
  }
}

/** Parses one fixture file's text; pure, so that its errors can be unit-tested. */
export function parseFixture(file: string, text: string): FixtureDocument[] {
  const raw = file.endsWith('.json') ? [parseJsonDocument(file, text)] : parseYamlDocuments(file, text)
  return raw
    .map((value, i) => ({ value, document: i + 1 }))
    .filter(({ value }) => value !== null && value !== undefined)
    .map(({ value, document }) => ({ file, document, object: checkObjectShape(file, document, value) }))
}

function parseJsonDocument(file: string, text: string): unknown {
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new FixtureError(file, 1, undefined, `invalid JSON: ${(error as Error).message}`)
  }
}

function parseYamlDocuments(file: string, text: string): unknown[] {
  return parseAllDocuments(text).map((doc, i) => {
    const problem = doc.errors[0]
    if (problem) {
      const line = problem.linePos?.[0]
      const at = line ? ` at line ${line.line}, column ${line.col}` : ''
      // The parser's message ends with its own position; ours comes first, so drop it.
      const message = problem.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')
      throw new FixtureError(file, i + 1, undefined, `invalid YAML${at}: ${message}`)
    }
    return doc.toJS()
  })
}

const NAME_PATTERN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/

function checkObjectShape(file: string, document: number, value: unknown): KubeObject {
  const fail = (field: string | undefined, reason: string, o?: Record<string, unknown>): never => {
    const meta = o?.metadata as Record<string, unknown> | undefined
    throw new FixtureError(file, document, field, reason, {
      kind: typeof o?.kind === 'string' ? o.kind : undefined,
      name: typeof meta?.name === 'string' ? meta.name : undefined,
    })
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail(undefined, `expected a Kubernetes object (a mapping), got ${Array.isArray(value) ? 'a list' : typeof value}`)
  }
  const o = value as Record<string, unknown>
  for (const field of ['apiVersion', 'kind'] as const) {
    if (o[field] === undefined) fail(field, 'required field is missing', o)
    if (typeof o[field] !== 'string' || o[field] === '') fail(field, `expected a non-empty string, got ${JSON.stringify(o[field])}`, o)
  }
  const metadata = o.metadata
  if (metadata === undefined) fail('metadata', 'required field is missing', o)
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) fail('metadata', 'expected a mapping', o)
  const name = (metadata as Record<string, unknown>).name
  if (name === undefined) fail('metadata.name', 'required field is missing', o)
  if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
    fail('metadata.name', `expected a DNS-1123 name (lowercase letters, digits, '-', '.'), got ${JSON.stringify(name)}`, o)
  }
  return o as unknown as KubeObject
}

/**
 * Where a workload kind keeps its pod template's spec; the image override and the namespace
 * rules walk these.
 */
const POD_SPEC_PATHS: Record<string, string[]> = {
  Pod: ['spec'],
  Deployment: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
}

/** The pod spec inside a workload object, or undefined for kinds without one. */
export function podSpecOf(object: KubeObject): Record<string, unknown> | undefined {
  const steps = POD_SPEC_PATHS[object.kind]
  if (!steps) return undefined
  let node: unknown = object
  for (const step of steps) node = (node as Record<string, unknown> | undefined)?.[step]
  return node as Record<string, unknown> | undefined
}

/**
 * Rewrites container images through an override map (upstream reference -> local reference).
 * Keys match the reference as written or with Docker Hub's implicit prefixes; returns a copy.
 */
export function overrideImages<T extends KubeObject>(object: T, overrides: Readonly<Record<string, string>>): T {
  const copy = structuredClone(object)
  const spec = podSpecOf(copy)
  if (!spec) return copy
  for (const key of ['containers', 'initContainers', 'ephemeralContainers']) {
    const containers = spec[key]
    if (!Array.isArray(containers)) continue
    for (const container of containers as Array<{ image?: unknown }>) {
      if (typeof container.image === 'string') container.image = resolveImage(container.image, overrides)
    }
  }
  return copy
}

/** The local reference for an image, or the image itself when the map has no entry. */
export function resolveImage(image: string, overrides: Readonly<Record<string, string>>): string {
  const bare = image.replace(/^docker\.io\/(library\/)?/, '')
  return overrides[image] ?? overrides[bare] ?? image
}

/** Reads fixture files (relative to fixtures/) and checks their shape; nothing touches the cluster. */
export async function loadFixtures(files: readonly string[]): Promise<FixtureDocument[]> {
  const documents: FixtureDocument[] = []
  for (const file of files) {
    let text: string
    try {
      text = await readFile(path.resolve(FIXTURES_DIR, file), 'utf8')
    } catch (error) {
      throw new FixtureError(file, undefined, undefined, `cannot read fixture: ${(error as Error).message}`)
    }
    documents.push(...parseFixture(file, text))
  }
  return documents
}

export interface ApplyOptions {
  namespace: string
  imageOverrides?: Readonly<Record<string, string>>
}

/** What the server stored for an applied document. */
export interface AppliedObject extends FixtureDocument {
  stored: KubeObject & { metadata: KubeObject['metadata'] & { uid: string; resourceVersion: string } }
}

/**
 * Applies fixture documents in order with server-side apply and strict field validation. Every
 * document is first dry-run on the server, so a broken fixture (unknown field, wrong type,
 * missing required field) fails naming file, document and field, and nothing was applied.
 */
export async function applyFixtures(
  clients: Clients,
  documents: readonly FixtureDocument[],
  options: ApplyOptions,
): Promise<AppliedObject[]> {
  const prepared = await Promise.all(documents.map((doc) => prepareDocument(clients, doc, options)))
  for (const item of prepared) await serverApply(clients, item, true)
  const applied: AppliedObject[] = []
  for (const item of prepared) applied.push({ ...item.doc, stored: await serverApply(clients, item, false) })
  return applied
}

interface PreparedDocument {
  doc: FixtureDocument
  body: KubeObject
  objectPath: string
}

async function prepareDocument(clients: Clients, doc: FixtureDocument, options: ApplyOptions): Promise<PreparedDocument> {
  const { object } = doc
  let resource
  try {
    resource = await clients.raw.resource(object.apiVersion, object.kind, options.namespace)
  } catch (error) {
    throw new FixtureError(doc.file, doc.document, 'kind', (error as Error).message, { kind: object.kind, name: object.metadata.name })
  }
  if (resource.namespaced && object.metadata.namespace && object.metadata.namespace !== options.namespace) {
    throw new FixtureError(
      doc.file,
      doc.document,
      'metadata.namespace',
      `fixtures are applied to the scenario's own namespace; remove the namespace "${object.metadata.namespace}"`,
      { kind: object.kind, name: object.metadata.name },
    )
  }
  const body = overrideImages(object, options.imageOverrides ?? {})
  if (resource.namespaced) body.metadata.namespace = options.namespace
  return { doc, body, objectPath: `${resource.collectionPath}/${encodeURIComponent(object.metadata.name)}` }
}

async function serverApply(clients: Clients, item: PreparedDocument, dryRun: boolean): Promise<AppliedObject['stored']> {
  const query = new URLSearchParams({ fieldManager: FIELD_MANAGER, fieldValidation: 'Strict', force: 'true' })
  if (dryRun) query.set('dryRun', 'All')
  try {
    return await clients.raw.request('PATCH', `${item.objectPath}?${query}`, item.body, 'application/apply-patch+yaml')
  } catch (error) {
    if (!(error instanceof ApiError)) throw error
    const { field, reason } = describeRejection(error)
    throw new FixtureError(item.doc.file, item.doc.document, field, reason, {
      kind: item.body.kind,
      name: item.body.metadata.name,
    })
  }
}

/**
 * Turns the API server's rejection into a field path and a reason. The server reports fields in
 * several spellings (".spec.x", "spec.x", 'unknown field "spec.x"', Go struct paths); all are
 * normalised to spec.x.
 */
export function describeRejection(error: ApiError): { field?: string; reason: string } {
  const cause = error.status?.details?.causes?.find((c) => c.field)
  if (cause?.field) return { field: cause.field.replace(/^\./, ''), reason: cause.message ?? cause.reason ?? error.message }
  const message = error.status?.message ?? error.message
  const patterns: Array<[RegExp, (m: RegExpMatchArray) => { field: string; reason: string }]> = [
    [/unknown field "([^"]+)"/, (m) => ({ field: m[1]!, reason: 'unknown field (misspelt, or not in this kind\'s schema)' })],
    [/(?:^|\s|: )\.?([\w.[\]="-]+): field not declared in schema/, (m) => ({ field: m[1]!, reason: 'unknown field (misspelt, or not in this kind\'s schema)' })],
    [/Go struct field \w+\.([\w.]+) of type (\S+)/, (m) => ({ field: m[1]!, reason: `wrong type: expected ${m[2]}` })],
    [/\.?([\w.[\]="-]+): expected ([^,]+), got (.+)$/, (m) => ({ field: m[1]!, reason: `wrong type: expected ${m[2]}, got ${m[3]}` })],
    [/([\w.[\]-]+): Required value/, (m) => ({ field: m[1]!, reason: 'required field is missing' })],
  ]
  for (const [pattern, describe] of patterns) {
    const match = message.match(pattern)
    if (match) return describe(match)
  }
  return { reason: message }
}

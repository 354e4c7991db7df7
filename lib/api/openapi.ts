// The cluster's own schema: its OpenAPI v3 documents (one per group-version, listed at
// /openapi/v3), and the schema of a field path inside a kind, following $ref's.
import type { Clients } from './client.js'

/** A JSON schema as the API server publishes it (the parts field lookups use). */
export interface OpenApiSchema {
  type?: string
  description?: string
  required?: string[]
  properties?: Record<string, OpenApiSchema>
  items?: OpenApiSchema
  $ref?: string
  allOf?: OpenApiSchema[]
  [extension: string]: unknown
}

/** One group-version's OpenAPI v3 document. */
export interface OpenApiDocument {
  components?: { schemas?: Record<string, OpenApiSchema> }
  paths?: Record<string, unknown>
}

/** A schema with its $ref's followed; `name` is the component it came from, when it had one. */
export type ResolvedSchema = OpenApiSchema & { name?: string }

/**
 * Fetches the OpenAPI v3 document of a group-version ("apps/v1", core "v1"), found through the
 * server's index at /openapi/v3 the way kubectl explain finds it.
 */
export async function openApiDocument(clients: Clients, groupVersion: string): Promise<OpenApiDocument> {
  const index = await clients.raw.request<{ paths: Record<string, { serverRelativeURL: string }> }>('GET', '/openapi/v3')
  const key = groupVersion.includes('/') ? `apis/${groupVersion}` : `api/${groupVersion}`
  const entry = index.paths[key]
  if (!entry) throw new Error(`the cluster's /openapi/v3 lists no ${key} (it lists ${Object.keys(index.paths).length} paths, e.g. ${Object.keys(index.paths).slice(0, 5).join(', ')})`)
  return clients.raw.request<OpenApiDocument>('GET', entry.serverRelativeURL)
}

/** A component schema by name ("io.k8s.api.apps.v1.Deployment"), $ref's followed. */
export function componentSchema(document: OpenApiDocument, name: string): ResolvedSchema {
  const schema = document.components?.schemas?.[name]
  if (!schema) throw new Error(`the OpenAPI document has no schema ${name}`)
  return { ...schema, name }
}

/**
 * Follows a schema's $ref (plain, or wrapped in a one-element allOf as Kubernetes writes it)
 * to the component it names; other schemas come back as they are.
 */
export function resolveSchema(document: OpenApiDocument, schema: OpenApiSchema): ResolvedSchema {
  const ref = schema.$ref ?? (schema.allOf?.length === 1 ? schema.allOf[0]!.$ref : undefined)
  if (!ref) return schema
  const prefix = '#/components/schemas/'
  if (!ref.startsWith(prefix)) throw new Error(`unsupported $ref ${ref}`)
  return componentSchema(document, ref.slice(prefix.length))
}

/**
 * The schema at a dotted field path ("spec.template.spec.containers") of a component, following
 * $ref's at every step and stepping into array items when the path goes through a list
 * ("spec.template.spec.containers.image"). Fails naming the first segment that is not there.
 */
export function schemaAtPath(document: OpenApiDocument, rootName: string, fieldPath: string): ResolvedSchema {
  let current = componentSchema(document, rootName)
  const walked: string[] = []
  for (const segment of fieldPath.split('.')) {
    if (current.type === 'array' && current.items && !current.properties) current = resolveSchema(document, current.items)
    const next = current.properties?.[segment]
    if (!next) {
      const known = Object.keys(current.properties ?? {}).join(', ') || 'none'
      throw new Error(`${rootName} has no field ${[...walked, segment].join('.')} (${current.name ?? 'the schema'} at ${walked.join('.') || 'the root'} has: ${known})`)
    }
    walked.push(segment)
    current = resolveSchema(document, next)
  }
  return current
}

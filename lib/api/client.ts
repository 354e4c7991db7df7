// Talking to the API server: the generated typed clients, plus the few raw requests they cannot
// express (server-side apply with strict field validation, subresources, discovery).
import * as k8s from '@kubernetes/client-node'
import https from 'node:https'

/** The typed clients a scenario uses, built from one kubeconfig. */
export interface Clients {
  readonly kubeConfig: k8s.KubeConfig
  readonly core: k8s.CoreV1Api
  readonly apps: k8s.AppsV1Api
  readonly batch: k8s.BatchV1Api
  readonly autoscaling: k8s.AutoscalingV2Api
  readonly networking: k8s.NetworkingV1Api
  readonly discovery: k8s.DiscoveryV1Api
  readonly storage: k8s.StorageV1Api
  readonly events: k8s.EventsV1Api
  readonly raw: RawApi
}

export function createClients(kubeconfigYaml: string): Clients {
  const kubeConfig = new k8s.KubeConfig()
  kubeConfig.loadFromString(kubeconfigYaml)
  const cluster = kubeConfig.getCurrentCluster()
  if (!cluster) throw new Error('the kubeconfig has no current cluster')
  const baseServer = new k8s.ServerConfiguration(cluster.server, {})
  const transport = k8s.createConfiguration({ baseServer, authMethods: { default: kubeConfig } }).httpApi
  const configuration = k8s.createConfiguration({ baseServer, authMethods: { default: kubeConfig }, httpApi: readableErrors(transport) })
  return {
    kubeConfig,
    core: new k8s.CoreV1Api(configuration),
    apps: new k8s.AppsV1Api(configuration),
    batch: new k8s.BatchV1Api(configuration),
    autoscaling: new k8s.AutoscalingV2Api(configuration),
    networking: new k8s.NetworkingV1Api(configuration),
    discovery: new k8s.DiscoveryV1Api(configuration),
    storage: new k8s.StorageV1Api(configuration),
    events: new k8s.EventsV1Api(configuration),
    raw: new RawApi(kubeConfig),
  }
}

/**
 * The typed clients' transport, failing with ApiError (kubectl's wording, the Status kept)
 * instead of client-node's dump of code, body and headers.
 */
function readableErrors(transport: k8s.HttpLibrary): k8s.HttpLibrary {
  return {
    send(request) {
      const answered = transport.send(request).toPromise().then(async (response) => {
        if (response.httpStatusCode < 400) return response
        const text = await response.body.text()
        const { pathname, search } = new URL(request.getUrl())
        throw new ApiError(request.getHttpMethod(), `${pathname}${search}`, response.httpStatusCode, parseJson(text) as ApiError['status'], text)
      })
      return new k8s.Observable(answered)
    },
  }
}

/**
 * An error status returned by the API server, with its Status object when it sent one. Its
 * message reads like kubectl's: `deployments.apps "web" not found (NotFound, GET /apis/...)`.
 */
export class ApiError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly statusCode: number,
    readonly status: { message?: string; reason?: string; details?: { causes?: ApiCause[] } } | undefined,
    body: string,
  ) {
    const what = status?.message ?? (body.trim().slice(0, 300) || `HTTP ${statusCode}`)
    super(`${what} (${status?.reason ?? statusCode}, ${method} ${path})`)
    this.name = 'ApiError'
  }

  /** The HTTP status code (as client-node's ApiException calls it). */
  get code(): number {
    return this.statusCode
  }
}

export interface ApiCause {
  reason?: string
  message?: string
  field?: string
}

export interface ResourceInfo {
  /** URL path of the collection, e.g. /apis/apps/v1/namespaces/ns/deployments */
  collectionPath: string
  namespaced: boolean
  plural: string
}

/** Plain JSON requests against the API server, authenticated like the typed clients. */
export class RawApi {
  private readonly discovery = new Map<string, Promise<Array<{ name: string; kind: string; namespaced: boolean }>>>()

  constructor(private readonly kubeConfig: k8s.KubeConfig) {}

  async request<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<T> {
    const cluster = this.kubeConfig.getCurrentCluster()
    if (!cluster) throw new Error('kubeconfig has no current cluster')
    const url = new URL(path, cluster.server)
    const options: https.RequestOptions = { method, headers: {} }
    await this.kubeConfig.applyToHTTPSOptions(options)
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body)
    options.headers = { ...options.headers, Accept: 'application/json', ...(payload ? { 'Content-Type': contentType } : {}) }
    return new Promise<T>((resolve, reject) => {
      const req = https.request(url, options, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          const parsed = parseJson(text)
          if ((res.statusCode ?? 500) >= 300) {
            reject(new ApiError(method, path, res.statusCode ?? 0, parsed as ApiError['status'], text))
          } else {
            resolve(parsed as T)
          }
        })
        res.on('error', reject)
      })
      req.on('error', reject)
      req.end(payload)
    })
  }

  /** Where objects of apiVersion/kind live; throws when the cluster does not serve that kind. */
  async resource(apiVersion: string, kind: string, namespace?: string): Promise<ResourceInfo> {
    const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`
    let listing = this.discovery.get(base)
    if (!listing) {
      listing = this.request<{ resources: Array<{ name: string; kind: string; namespaced: boolean }> }>('GET', base).then(
        (r) => r.resources,
      )
      listing.catch(() => this.discovery.delete(base))
      this.discovery.set(base, listing)
    }
    const found = (await listing).find((r) => r.kind === kind && !r.name.includes('/'))
    if (!found) throw new Error(`the cluster serves no kind ${kind} in ${apiVersion}`)
    const nsPart = found.namespaced ? `/namespaces/${namespace ?? 'default'}` : ''
    return { collectionPath: `${base}${nsPart}/${found.name}`, namespaced: found.namespaced, plural: found.name }
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** True when an error is the API server saying the object does not exist. */
export function isNotFound(error: unknown): boolean {
  const e = error as { statusCode?: number; code?: number }
  return e?.statusCode === 404 || e?.code === 404
}

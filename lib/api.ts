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
  readonly storage: k8s.StorageV1Api
  readonly events: k8s.EventsV1Api
  readonly raw: RawApi
}

export function createClients(kubeconfigYaml: string): Clients {
  const kubeConfig = new k8s.KubeConfig()
  kubeConfig.loadFromString(kubeconfigYaml)
  return {
    kubeConfig,
    core: kubeConfig.makeApiClient(k8s.CoreV1Api),
    apps: kubeConfig.makeApiClient(k8s.AppsV1Api),
    batch: kubeConfig.makeApiClient(k8s.BatchV1Api),
    autoscaling: kubeConfig.makeApiClient(k8s.AutoscalingV2Api),
    networking: kubeConfig.makeApiClient(k8s.NetworkingV1Api),
    storage: kubeConfig.makeApiClient(k8s.StorageV1Api),
    events: kubeConfig.makeApiClient(k8s.EventsV1Api),
    raw: new RawApi(kubeConfig),
  }
}

/** An error status returned by the API server, with its Status object when it sent one. */
export class ApiError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly statusCode: number,
    readonly status: { message?: string; reason?: string; details?: { causes?: ApiCause[] } } | undefined,
    body: string,
  ) {
    super(`${method} ${path}: ${statusCode} ${status?.reason ?? ''} ${status?.message ?? body}`.replace(/\s+/g, ' '))
    this.name = 'ApiError'
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

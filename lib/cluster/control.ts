// Test files run in worker processes, but the cluster's containers belong to the run's main
// process. This tiny loopback endpoint lets a scenario grow the shared cluster ("I need two
// nodes"); requests are serialised so concurrent files do not over-provision.
import { randomBytes } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Clients } from '../api/client.js'
import { runSettings } from '../config/settings.js'
import type { NodeImages } from '../observe/image-pulls.js'
import type { ImageLoad } from './images.js'
import type { ClusterInfo, RunningCluster } from './provider.js'

export interface ControlServer {
  url: string
  close(): Promise<void>
}

export async function serveClusterControl(cluster: RunningCluster, log: (line: string) => void = () => undefined): Promise<ControlServer> {
  const token = randomBytes(16).toString('hex')
  let queue: Promise<unknown> = Promise.resolve()
  const serialised = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work, work)
    queue = next.catch(() => undefined)
    return next
  }
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://control')
    if (url.searchParams.get('token') !== token) return void res.writeHead(403).end('bad token')
    try {
      if (req.method === 'POST' && url.pathname === '/nodes/ensure') {
        const wanted = Number(url.searchParams.get('count'))
        const added = await serialised(async () => {
          const names: string[] = []
          while (cluster.nodeCount() < wanted) names.push(await cluster.addNode())
          return names
        })
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ added, nodes: cluster.nodeCount() }))
      }
      if (req.method === 'POST' && url.pathname === '/nodes/add') {
        const name = await serialised(() => cluster.addNode())
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ added: [name], nodes: cluster.nodeCount() }))
      }
      if (req.method === 'POST' && url.pathname === '/images/load') {
        // Serialised with node additions: a node joining meanwhile gets every image either way.
        const loaded = await serialised(() => cluster.loadImages(url.searchParams.getAll('image'), log))
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ loaded }))
      }
      if (req.method === 'POST' && url.pathname === '/images/loaded') {
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ images: await cluster.loadedImages() }))
      }
      res.writeHead(404).end('unknown control request')
    } catch (error) {
      res.writeHead(500).end((error as Error).message)
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

async function control<T = { added: string[]; nodes: number }>(info: Pick<ClusterInfo, 'controlUrl'>, path: string, params: Record<string, string | readonly string[]> = {}): Promise<T> {
  if (!info.controlUrl) throw new Error('this run has no cluster control endpoint (the cluster was not started by kube-scenarios)')
  const url = new URL(info.controlUrl)
  url.pathname = path
  for (const [k, v] of Object.entries(params)) for (const value of [v].flat()) url.searchParams.append(k, value)
  const res = await fetch(url, { method: 'POST' }).catch((error: Error) => {
    throw new Error(`the process holding the cluster does not answer at ${url.origin} (${error.message}): has it stopped?`)
  })
  const text = await res.text()
  if (!res.ok) throw new Error(text)
  return JSON.parse(text)
}

/** Grows the run's cluster to at least `count` nodes; returns the names of nodes added now. */
export async function ensureNodes(info: ClusterInfo, count: number): Promise<string[]> {
  return (await control(info, '/nodes/ensure', { count: String(count) })).added
}

/**
 * Puts images of this machine's Docker into every node of the run's cluster (and of nodes added
 * later), through the process that owns its containers.
 */
export async function loadImages(info: Pick<ClusterInfo, 'controlUrl'>, images: readonly string[]): Promise<ImageLoad[]> {
  return (await control<{ loaded: ImageLoad[] }>(info, '/images/load', { image: images })).loaded
}

/** The references loaded into the run's cluster so far (declared `images:`, loadImages, `kube-scenarios load`). */
export async function loadedImages(info: Pick<ClusterInfo, 'controlUrl'>): Promise<string[]> {
  return (await control<{ images: string[] }>(info, '/images/loaded')).images
}

/** Adds one node to the run's cluster; returns its name. */
export async function addNode(info: ClusterInfo): Promise<string> {
  const { added } = await control(info, '/nodes/add')
  return added[0]!
}

/**
 * What the nodes hold, for an image-pull remedy: what was loaded into the cluster (asked from the
 * process that holds it), an offline cluster's overrides, and the images the Nodes report. Never
 * throws: what cannot be asked within the `request` timeout is left out.
 */
export async function nodeImagesOf(clients: Clients, cluster: Pick<ClusterInfo, 'controlUrl' | 'imageOverrides'>): Promise<NodeImages> {
  const bounded = <T>(asking: Promise<T>, none: T) => {
    const cancel = new AbortController()
    const timeout = sleep(runSettings().timeouts.request, none, { signal: cancel.signal, ref: false }).catch(() => none)
    return Promise.race([asking.catch(() => none), timeout]).finally(() => cancel.abort())
  }
  const [loaded, nodes] = await Promise.all([
    cluster.controlUrl ? bounded(loadedImages({ controlUrl: cluster.controlUrl }), []) : [],
    bounded(clients.core.listNode().then(({ items }) => items), []),
  ])
  const reported = nodes.flatMap((node) => (node.status?.images ?? []).flatMap((image) => image.names ?? []))
  return { loaded, overrides: cluster.imageOverrides, reported }
}

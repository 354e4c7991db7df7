// Images built on this machine, put into a cluster's nodes (what `kind load docker-image` and
// `k3d image import` do): saved from the host's Docker once per image, imported into the
// containerd of every node, and handed to nodes that join later as archives they import before
// their kubelet starts.
import { spawn } from 'node:child_process'
import { createReadStream } from 'node:fs'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import { BASE_IMAGES, K3S_IMAGE_ARCHIVES_DIR, NODE_IMAGE_ARCHIVES_DIR } from '#images/lib/cluster-constants.mjs'

/** How a kind of node takes images: its ctr command and the folder it imports archives from at start. */
export interface NodeRuntime {
  ctr: string[]
  archivesDir: string
}

export const LOCAL_NODE_RUNTIME: NodeRuntime = { ctr: ['ctr', '-n', 'k8s.io', 'images', 'import', '--no-unpack', '-'], archivesDir: NODE_IMAGE_ARCHIVES_DIR }
// k3s runs its own containerd on its own socket; its `ctr` (the k3s binary) knows it.
export const K3S_NODE_RUNTIME: NodeRuntime = { ctr: ['ctr', '-n', 'k8s.io', 'images', 'import', '-'], archivesDir: K3S_IMAGE_ARCHIVES_DIR }

/** A node container: its Kubernetes name and its Docker id. */
export interface NodeContainerRef {
  node: string
  container: string
}

/** One image put into one node. */
export interface ImageLoad {
  image: string
  bytes: number
  node: string
  seconds: number
  /** It was there already (the same image id loaded before). */
  already?: boolean
}

/** An image the host's Docker does not have: nothing was loaded. */
export class ImageNotBuiltError extends Error {
  constructor(readonly images: readonly string[]) {
    super(
      `${images.length === 1 ? `image ${images[0]} is` : `images ${images.join(', ')} are`} not in this machine's Docker, so nothing was loaded: build ${images.length === 1 ? 'it' : 'them'} first (\`docker build -t ${images[0]} <folder>\`; on a machine that pulls nothing, \`FROM kube-scenarios/busybox:1.36\` or \`FROM kube-scenarios/debian:12\`, which \`npm run images\` keeps in Docker)`,
    )
    this.name = 'ImageNotBuiltError'
  }
}

/** "2.0 MB" */
export function formatBytes(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : `${(bytes / 1e6).toFixed(1)} MB`
}

/** "image myapp:dev (2.0 MB) -> node worker-1 in 0.4 s" */
export function describeLoad(load: ImageLoad): string {
  return `image ${load.image} (${formatBytes(load.bytes)}) -> node ${load.node}${load.already ? ': already there' : ` in ${load.seconds.toFixed(1)} s`}`
}

/**
 * The images a cluster was given, kept as archives for the nodes that join it later. One per
 * cluster, in the process that owns its containers.
 */
export class LoadedImages {
  /** image reference -> its Docker image id and archive */
  private readonly loaded = new Map<string, { id: string; archive: string; bytes: number }>()
  private folder?: string

  constructor(private readonly runtime: NodeRuntime) {}

  /** The references loaded so far. */
  references(): string[] {
    return [...this.loaded.keys()]
  }

  /** The archives a node started from now on must get (testcontainers' withCopyFilesToContainer). */
  archivesForNewNode(): Array<{ source: string; target: string }> {
    return [...this.loaded.values()].map(({ archive }) => ({ source: archive, target: path.posix.join(this.runtime.archivesDir, path.basename(archive)) }))
  }

  /**
   * Puts the images into every node; an image already loaded with the same id is skipped. Every
   * image is checked before any is loaded.
   */
  async load(images: readonly string[], nodes: readonly NodeContainerRef[], log: (line: string) => void = () => undefined): Promise<ImageLoad[]> {
    const ids = await Promise.all(images.map(async (image) => ({ image, id: await imageId(image) })))
    const missing = ids.filter((i) => !i.id).map((i) => i.image)
    if (missing.length) throw new ImageNotBuiltError(missing)
    this.folder ??= await mkdtemp(path.join(tmpdir(), 'kube-scenarios-images-'))
    const loads: ImageLoad[] = []
    for (const { image, id } of ids) {
      const known = this.loaded.get(image)
      if (known && known.id === id) {
        loads.push(...nodes.map(({ node }) => ({ image, bytes: known.bytes, node, seconds: 0, already: true })))
        continue
      }
      const archive = path.join(this.folder, `${image.replaceAll(/[^\w.-]+/g, '_')}.tar`)
      await run('docker', ['save', '-o', archive, image], `saving image ${image} from Docker`)
      const { size: bytes } = await stat(archive)
      for (const { node, container } of nodes) {
        const started = Date.now()
        await importArchive(container, archive, this.runtime, `image ${image} into node ${node}`)
        const load = { image, bytes, node, seconds: (Date.now() - started) / 1000 }
        log(describeLoad(load))
        loads.push(load)
      }
      this.loaded.set(image, { id: id!, archive, bytes })
    }
    return loads
  }

  async remove(): Promise<void> {
    if (this.folder) await rm(this.folder, { recursive: true, force: true })
  }
}

/** Streams an image archive into a node container's containerd. */
export async function importArchive(container: string, archive: string, runtime: NodeRuntime, what: string): Promise<void> {
  const ctr = spawn('docker', ['exec', '-i', container, ...runtime.ctr], { stdio: ['pipe', 'ignore', 'pipe'] })
  const said: Buffer[] = []
  ctr.stderr.on('data', (chunk: Buffer) => said.push(chunk))
  const [piped, exited] = await Promise.allSettled([pipeline(createReadStream(archive), ctr.stdin), exitOf(ctr)])
  const code = exited.status === 'fulfilled' ? exited.value : String(exited.reason)
  if (code !== 0) throw new Error(`loading ${what} failed (exit ${code}): ${Buffer.concat(said).toString().trim()}`)
  if (piped.status === 'rejected') throw new Error(`loading ${what} failed: ${(piped.reason as Error).message}`)
}

/** The image's id in the host's Docker, undefined when it has none by that reference. */
async function imageId(image: string): Promise<string | undefined> {
  const { code, stdout } = await capture('docker', ['image', 'inspect', '--format', '{{.Id}}', image])
  return code === 0 ? stdout.trim() : undefined
}

async function run(command: string, args: string[], what: string): Promise<void> {
  const { code, stderr } = await capture(command, args)
  if (code !== 0) throw new Error(`${what} failed (exit ${code}): ${stderr.trim()}`)
}

function capture(command: string, args: string[]): Promise<{ code: number | string; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk))
    void exitOf(child).then((code) => resolve({ code, stdout, stderr }))
  })
}

function exitOf(child: ReturnType<typeof spawn>): Promise<number | string> {
  return new Promise((resolve) => {
    child.once('error', (error) => resolve(error.message))
    child.once('exit', (code, signal) => resolve(signal ?? code ?? 'unknown'))
  })
}

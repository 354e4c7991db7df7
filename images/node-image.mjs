// The node image: Debian + upstream Kubernetes components + containerd 2 + the cluster's images,
// assembled without a base image or `docker build` (docker import of a root filesystem).
import { $ } from 'zx'
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { CACHE_DIR, IMAGES_DIR, hashInputs, reportWaiting } from './lib/cache.mjs'
import { withFileLock } from './lib/state-files.mjs'
import * as constants from './lib/cluster-constants.mjs'
import { CONSTANTS_FILE, fillPlaceholders } from './lib/placeholders.mjs'
import { debianRootfs } from './lib/rootfs.mjs'

/** @typedef {import('./lib/progress.mjs').Log} Log */
/** @typedef {import('./go-binaries.mjs').GoBins} GoBins */
/** @typedef {import('./cluster-images.mjs').ClusterImages} ClusterImages */

const NODE_PACKAGES = [
  'ca-certificates', 'conntrack', 'containernetworking-plugins', 'curl', 'ebtables', 'ethtool', 'iproute2',
  'ipset', 'iptables', 'iputils-ping', 'kmod', 'nftables', 'openssl', 'procps', 'runc', 'socat',
]

/**
 * The node's Debian system (a cached step that needs neither Go nor Docker).
 * @param {Log} log
 * @returns {Promise<string>} the rootfs directory
 */
export function nodeRootfs(log) {
  return debianRootfs('node', NODE_PACKAGES, log)
}

/** Programs from each Go build group that go into /usr/local/bin. */
const NODE_PROGRAMS = {
  kubernetes: ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubelet', 'kube-proxy', 'kubectl'],
  containerd: ['containerd', 'containerd-shim-runc-v2', 'ctr'],
  'kube-router': ['kube-router-netpol'],
  'cluster-programs': ['pod-routes'],
}

/** containerd's root in the node (images/node/containerd.toml). */
const CONTAINERD_ROOT = 'var/lib/containerd'

/**
 * Imports the cluster's images into a containerd root as the node's containerd will read it (its
 * content store and metadata; snapshots are made at run time), so a node starts with its images
 * in place instead of importing them at every start, as kind's node images do. A containerd of
 * the build's own runs on this machine for the import only, on private paths.
 * @param {string} containerdBin the directory holding containerd and ctr
 * @param {string} archive the docker-archive of the cluster's images
 * @param {string} root the containerd root to fill
 */
async function preloadImages(containerdBin, archive, root) {
  const work = await mkdtemp(path.join(os.tmpdir(), 'kube-scenarios-preload-'))
  const address = path.join(work, 'containerd.sock')
  const config = path.join(work, 'config.toml')
  await writeFile(config, [
    'version = 3',
    `root = "${root}"`,
    `state = "${path.join(work, 'state')}"`,
    // Only the image store is wanted: no CRI, nothing that would touch this machine's networking.
    'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.cri.v1.images", "io.containerd.cri.v1.runtime"]',
    '[grpc]',
    `  address = "${address}"`,
    '',
  ].join('\n'))
  const daemon = $`${path.join(containerdBin, 'containerd')} --config ${config}`.quiet().nothrow()
  const ctr = path.join(containerdBin, 'ctr')
  const answering = async () => (await $({ nothrow: true, quiet: true })`${ctr} --address ${address} version`).exitCode === 0
  try {
    for (let waited = 0; !(await answering()); waited += 100) {
      if (waited >= 10_000) throw new Error('the containerd started to preload the images did not answer within 10 s')
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    await $`${ctr} --address ${address} -n k8s.io images import --all-platforms --no-unpack ${archive}`.quiet()
  } catch (error) {
    daemon.kill()
    throw new Error(`${/** @type {Error} */ (error).message}\ncontainerd said:\n${(await daemon).stderr}`)
  } finally {
    daemon.kill()
    await daemon
    await rm(work, { recursive: true, force: true })
  }
  // The node mounts its own tmpfs for snapshots and writes its state afresh.
  await rm(path.join(root, 'io.containerd.snapshotter.v1.overlayfs'), { recursive: true, force: true })
}

/**
 * Builds (or finds) the node image; its tag is the hash of everything that goes into it, so the
 * Docker image store is the cache.
 * @param {{ goBins: GoBins, clusterImages: ClusterImages, addons: string[], log: Log }} opts
 *   addons: the rendered add-on manifests, in the order the node applies them
 * @returns {Promise<string>} the node image's reference
 */
export async function buildNodeImage({ goBins, clusterImages, addons, log }) {
  const nodeDir = path.join(IMAGES_DIR, 'node')
  const binaries = Object.entries(NODE_PROGRAMS).flatMap(([group, names]) => names.map((n) => path.join(/** @type {string} */ (goBins[group]), n)))
  const tag = await hashInputs([NODE_PACKAGES, nodeDir, CONSTANTS_FILE, ...binaries, clusterImages.archive, ...addons])
  const ref = `kube-scenarios/node:${tag}`
  const imported = async () => (await $({ nothrow: true, quiet: true })`docker image inspect ${ref}`).exitCode === 0
  if (await imported()) {
    log(`node image ${ref}: cached`)
    return ref
  }
  // The tree and the import belong to one build at a time; another waits, then finds the image.
  return withFileLock(path.join(CACHE_DIR, `node-image-${tag}`), async () => {
    if (await imported()) {
      log(`node image ${ref}: cached`)
      return ref
    }
    const rootfs = await nodeRootfs(log)
    // docker import refuses archives that list a path twice: assemble one tree, hard-linking the
    // cached rootfs (nothing of it is modified, files are only added).
    const tree = path.join(CACHE_DIR, `node-tree-${tag}`)
    await rm(tree, { recursive: true, force: true })
    await $`cp -al ${rootfs} ${tree}`
    /**
     * @param {string} from
     * @param {string} to its path in the tree
     */
    const add = async (from, to) => {
      await mkdir(path.dirname(path.join(tree, to)), { recursive: true })
      await cp(from, path.join(tree, to), { recursive: true })
    }
    for (const binary of binaries) await add(binary, `usr/local/bin/${path.basename(binary)}`)
    await add(path.join(nodeDir, 'kube-node'), 'usr/local/bin/kube-node')
    await mkdir(path.join(tree, 'etc/kube-scenarios'), { recursive: true })
    for (const file of ['containerd.toml', 'cni.template', 'kubelet.yaml', 'kube-proxy.yaml']) {
      await writeFile(path.join(tree, 'etc/kube-scenarios', file), fillPlaceholders(`images/node/${file}`, await readFile(path.join(nodeDir, file), 'utf8')))
    }
    const { POD_CIDR, SERVICE_CIDR, API_SERVICE_IP, NODE_IMAGE_ARCHIVES_DIR } = constants
    await writeFile(path.join(tree, 'etc/kube-scenarios/cluster.env'), Object.entries({ POD_CIDR, SERVICE_CIDR, API_SERVICE_IP, NODE_IMAGE_ARCHIVES_DIR }).map(([k, v]) => `${k}=${v}\n`).join(''))
    for (const addon of addons) await add(addon, `etc/kube-scenarios/addons/${path.basename(addon)}`)
    log(`node image ${ref}: loading the cluster's images into containerd's store`)
    await preloadImages(/** @type {string} */ (goBins.containerd), clusterImages.archive, path.join(tree, CONTAINERD_ROOT))
    log(`node image ${ref}: importing`)
    await $`tar -c -C ${tree} . | docker import --change ${'ENTRYPOINT ["/usr/local/bin/kube-node"]'} --change ${'CMD ["server"]'} --change ${'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'} - ${ref}`.quiet()
    await rm(tree, { recursive: true, force: true })
    log(`node image ${ref}: built`)
    return ref
  }, { onWait: (owner) => reportWaiting(`waiting for node image ${ref}, being built by another build (${owner})`) })
}

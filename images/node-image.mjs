// The node image: Debian + upstream Kubernetes components + containerd 2 + the cluster's images,
// assembled without a base image or `docker build` (docker import of a root filesystem).
import { $ } from 'zx'
import { cp, mkdir, rm } from 'node:fs/promises'
import path from 'node:path'
import { CACHE_DIR, IMAGES_DIR, hashInputs } from './lib/cache.mjs'
import { debianRootfs } from './lib/rootfs.mjs'

const NODE_PACKAGES = [
  'ca-certificates', 'conntrack', 'containernetworking-plugins', 'curl', 'ebtables', 'ethtool', 'iproute2',
  'ipset', 'iptables', 'iputils-ping', 'kmod', 'nftables', 'openssl', 'procps', 'runc', 'socat',
]

/** Programs from each Go build group that go into /usr/local/bin. */
const NODE_PROGRAMS = {
  kubernetes: ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubelet', 'kube-proxy', 'kubectl'],
  containerd: ['containerd', 'containerd-shim-runc-v2', 'ctr'],
  'kube-router': ['kube-router'],
}

/**
 * Builds (or finds) the node image; its tag is the hash of everything that goes into it, so the
 * Docker image store is the cache.
 */
export async function buildNodeImage({ goBins, clusterImages, log }) {
  const nodeDir = path.join(IMAGES_DIR, 'node')
  const binaries = Object.entries(NODE_PROGRAMS).flatMap(([group, names]) => names.map((n) => path.join(goBins[group], n)))
  const tag = await hashInputs([NODE_PACKAGES, nodeDir, ...binaries, clusterImages.archive, clusterImages.addons])
  const ref = `kube-scenarios/node:${tag}`
  if ((await $({ nothrow: true, quiet: true })`docker image inspect ${ref}`).exitCode === 0) {
    log(`node image ${ref}: cached`)
    return ref
  }
  const rootfs = await debianRootfs('node', NODE_PACKAGES, log)
  // docker import refuses archives that list a path twice: assemble one tree, hard-linking the
  // cached rootfs (nothing of it is modified, files are only added).
  const tree = path.join(CACHE_DIR, `node-tree-${tag}`)
  await rm(tree, { recursive: true, force: true })
  await $`cp -al ${rootfs} ${tree}`
  const add = async (from, to) => {
    await mkdir(path.dirname(path.join(tree, to)), { recursive: true })
    await cp(from, path.join(tree, to), { recursive: true })
  }
  for (const binary of binaries) await add(binary, `usr/local/bin/${path.basename(binary)}`)
  await add(path.join(nodeDir, 'kube-node'), 'usr/local/bin/kube-node')
  for (const file of ['containerd.toml', 'cni.template', 'kubelet.yaml', 'kube-proxy.yaml']) {
    await add(path.join(nodeDir, file), `etc/kube-scenarios/${file}`)
  }
  await add(clusterImages.addons, 'etc/kube-scenarios/addons')
  await add(clusterImages.archive, 'opt/kube-scenarios/images.tar')
  log(`node image ${ref}: importing`)
  await $`tar -c -C ${tree} . | docker import --change ${'ENTRYPOINT ["/usr/local/bin/kube-node"]'} --change ${'CMD ["server"]'} --change ${'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'} - ${ref}`.quiet()
  await rm(tree, { recursive: true, force: true })
  log(`node image ${ref}: built`)
  return ref
}

// Debian root filesystems for the images, from Debian's package archive only (no base image).
import { $ } from 'zx'
import path from 'node:path'
import { cachedStep } from './cache.mjs'

export const DEBIAN_SUITE = 'bookworm'
export const DEBIAN_MIRROR = process.env.KUBE_SCENARIOS_DEBIAN_MIRROR ?? 'http://deb.debian.org/debian'

/**
 * A minbase Debian rootfs with `packages` installed, as <outDir>/rootfs (cached by the package
 * list). Documentation, man pages and apt lists are dropped: images stay small.
 */
export async function debianRootfs(name, packages, log) {
  const inputs = [DEBIAN_SUITE, DEBIAN_MIRROR, [...packages].sort()]
  const { outDir, cached } = await cachedStep(`rootfs-${name}`, inputs, async (out) => {
    const rootfs = path.join(out, 'rootfs')
    const include = packages.length ? [`--include=${packages.join(',')}`] : []
    await $({ quiet: true })`debootstrap --variant=minbase ${include} ${DEBIAN_SUITE} ${rootfs} ${DEBIAN_MIRROR}`
    await $`rm -rf ${rootfs}/usr/share/doc ${rootfs}/usr/share/man ${rootfs}/usr/share/info ${rootfs}/var/cache/apt/archives ${rootfs}/var/lib/apt/lists`
    await $`mkdir -p ${rootfs}/var/lib/apt/lists/partial ${rootfs}/var/cache/apt/archives/partial`
  })
  log(`rootfs ${name}: ${cached ? 'cached' : 'built'}`)
  return path.join(outDir, 'rootfs')
}

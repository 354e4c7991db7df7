// Debian root filesystems for the images, from Debian's package archive only (no base image).
import { $ } from 'zx'
import path from 'node:path'
import { cachedStep } from './cache.mjs'

/** @typedef {import('./progress.mjs').Log} Log */

export const DEBIAN_SUITE = 'bookworm'
export const DEBIAN_MIRROR = process.env.KUBE_SCENARIOS_DEBIAN_MIRROR ?? 'http://deb.debian.org/debian'

/**
 * A minbase Debian rootfs with `packages` installed, as <outDir>/rootfs (cached by the package
 * list). Documentation, man pages and apt lists are dropped: images stay small. debootstrap
 * mounts proc and sys inside the rootfs while it runs; one killed leaves them mounted, and
 * cachedStep unmounts them (at the step's end, on a signal, or before the next build removes it).
 * @param {string} name
 * @param {string[]} packages
 * @param {Log} log
 * @returns {Promise<string>} the rootfs directory
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

/**
 * One file of a Debian package from another suite (e.g. a newer busybox), as <outDir>/<name>;
 * cached by suite, package and path. Uses apt with a private sources list and state directory.
 * @param {string} suite
 * @param {string} pkg
 * @param {string} fileInPackage its path inside the package
 * @param {Log} log
 * @returns {Promise<string>} the file's path
 */
export async function debianPackageFile(suite, pkg, fileInPackage, log) {
  const inputs = [suite, DEBIAN_MIRROR, pkg, fileInPackage]
  const name = path.basename(fileInPackage)
  const { outDir, cached } = await cachedStep(`deb-${suite}-${pkg}`, inputs, async (out) => {
    const lists = path.join(out, 'lists')
    await $`mkdir -p ${lists}/partial`
    const sources = path.join(out, 'sources.list')
    await $`echo ${`deb ${DEBIAN_MIRROR} ${suite} main`} > ${sources}`
    const apt = ['-o', `Dir::Etc::SourceList=${sources}`, '-o', 'Dir::Etc::SourceParts=-', '-o', `Dir::State::Lists=${lists}`, '-o', 'APT::Get::List-Cleanup=0']
    await $({ quiet: true })`apt-get ${apt} update`
    await $({ quiet: true, cwd: out })`apt-get ${apt} download ${pkg}`
    await $({ quiet: true, cwd: out })`dpkg-deb -x ${(await $({ cwd: out })`ls ${pkg}_*.deb`).stdout.trim()} extracted`
    await $`cp ${path.join(out, 'extracted', fileInPackage)} ${path.join(out, name)}`
    await $`rm -rf ${lists} ${path.join(out, 'extracted')} ${sources}`
    await $({ cwd: out })`rm -f ${pkg}_*.deb`.nothrow()
  })
  log(`${pkg} (${suite}): ${cached ? 'cached' : 'downloaded'}`)
  return path.join(outDir, name)
}

// Mounts a build step leaves in its output folder: debootstrap mounts proc and sys inside the
// root filesystem it builds and unmounts them when it ends, unless it is killed (SIGKILL: a CI
// job's timeout, the OOM killer). A folder with a mount in it cannot be removed (EBUSY), so a
// step unmounts what is under its folder when it ends, and before it removes a half-built one.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import path from 'node:path'

// TypeScript importers read mounts.d.mts; each export takes its type from there.

/**
 * The mount points at or under `dir` in a mountinfo table (/proc/self/mountinfo: the fifth field,
 * with spaces, tabs, newlines and backslashes escaped in octal), deepest first: the order they
 * can be unmounted in.
 * @type {typeof import('./mounts.d.mts').mountsUnder}
 */
export function mountsUnder(dir, mountinfo = readFileSync('/proc/self/mountinfo', 'utf8')) {
  const root = path.resolve(dir)
  return mountinfo
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((field) => field !== undefined)
    .map((field) => field.replace(/\\([0-7]{3})/g, (_all, octal) => String.fromCharCode(parseInt(octal, 8))))
    .filter((mount) => mount === root || mount.startsWith(`${root}/`))
    .sort((a, b) => b.split('/').length - a.split('/').length || b.length - a.length)
}

/**
 * Unmounts (lazily: a process still inside, e.g. a dying debootstrap, cannot block it) every mount
 * at or under `dir`, deepest first; returns what it unmounted. A mount that cannot be unmounted
 * throws an error naming the folder and the command that clears it.
 * @type {typeof import('./mounts.d.mts').unmountUnder}
 */
export function unmountUnder(dir) {
  const mounts = mountsUnder(dir)
  for (const mount of mounts) {
    try {
      execFileSync('umount', ['-l', mount], { stdio: ['ignore', 'ignore', 'pipe'] })
    } catch (error) {
      // Already gone (its parent's lazy unmount took it along): nothing left to do.
      if (!mountsUnder(mount).includes(mount)) continue
      const stderr = /** @type {{ stderr?: Buffer }} */ (error).stderr?.toString().trim()
      throw new Error(`${mount} is mounted inside the build cache's ${dir} and cannot be unmounted (${stderr || /** @type {Error} */ (error).message}); clear it with: ${clearCommand(dir)}`)
    }
  }
  return mounts
}

/**
 * The shell command that removes a cache folder with whatever is mounted under it.
 * @type {typeof import('./mounts.d.mts').clearCommand}
 */
export function clearCommand(dir) {
  const quoted = `'${dir.replaceAll("'", `'\\''`)}'`
  return `findmnt -rno TARGET | grep -F ${quoted} | sort -r | xargs -r -n1 umount -l; rm -rf ${quoted}`
}

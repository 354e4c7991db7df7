// Files that several processes share on one machine (build timings, the local manifest, step
// outputs, the held clusters, the report history): two builds, a held `up` beside `npm test`, or
// build steps finishing together. Writes are atomic (a temporary file in the same folder, then a
// rename), read-modify-writes hold a lock file (proper-lockfile: a directory created atomically,
// kept fresh while held; taken over at once when its holder is no longer running, else once
// stale), and a file that only
// informs (estimates, history) and cannot be parsed is set aside with one warning instead of
// failing every later run.
import { randomBytes } from 'node:crypto'
import { appendFileSync, closeSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, readlinkSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { mkdir, rename, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import lockfile from 'proper-lockfile'

// TypeScript importers read state-files.d.mts; each export takes its type from there.

/** A holder that has not refreshed its lock for this long is taken to be dead. */
const STALE_LOCK_MS = 30_000
const LOCK_POLL_MS = { min: 100, max: 2_000 }

/** @type {typeof import('./state-files.d.mts').defaultWarn} */
export const defaultWarn = (line) => console.warn(`[kube-scenarios] warning: ${line}`)

const temporaryBeside = (/** @type {string} */ file) => `${file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`

/**
 * Writes `content` to `file` so that a reader sees the old content or the new, never a mix.
 * @type {typeof import('./state-files.d.mts').writeFileAtomic}
 */
export async function writeFileAtomic(file, content, { mode } = {}) {
  await mkdir(path.dirname(file), { recursive: true })
  const temporary = temporaryBeside(file)
  try {
    await writeFile(temporary, content, mode === undefined ? {} : { mode })
    await rename(temporary, file)
  } catch (error) {
    await rm(temporary, { force: true })
    throw error
  }
}

/** @type {typeof import('./state-files.d.mts').writeFileAtomicSync} */
export function writeFileAtomicSync(file, content, { mode } = {}) {
  mkdirSync(path.dirname(file), { recursive: true })
  const temporary = temporaryBeside(file)
  try {
    writeFileSync(temporary, content, mode === undefined ? {} : { mode })
    renameSync(temporary, file)
  } catch (error) {
    rmSync(temporary, { force: true })
    throw error
  }
}

/**
 * Moves an unreadable state file out of the way (`<file>.corrupt-<time>`) and says so in one line.
 * Where even that fails, the error names the file and the remedy.
 * @type {typeof import('./state-files.d.mts').setAside}
 */
export function setAside(file, reason, { warn = defaultWarn, consequence } = {}) {
  const aside = `${file}.corrupt-${new Date().toISOString().replace(/[-:]|\.\d+/g, '')}`
  try {
    renameSync(file, aside)
  } catch (error) {
    // Another process set it aside first: nothing left to do.
    if (/** @type {NodeJS.ErrnoException} */ (error).code === 'ENOENT') return
    throw new Error(`${file} cannot be read (${reason}) nor moved aside (${/** @type {Error} */ (error).message}): delete it and run again`)
  }
  warn(`${file} could not be read (${reason}); set aside as ${path.basename(aside)}${consequence ? `; ${consequence}` : ''}`)
}

/**
 * A JSON state file's content; undefined when it does not exist or cannot be parsed (then it is
 * set aside with one warning: such a file must never fail a run).
 * @type {typeof import('./state-files.d.mts').readJsonTolerantly}
 */
export function readJsonTolerantly(file, options = {}) {
  let text
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    if (/** @type {NodeJS.ErrnoException} */ (error).code === 'ENOENT') return undefined
    throw new Error(`${file} cannot be read (${/** @type {Error} */ (error).message}): check its permissions or delete it`)
  }
  try {
    const value = JSON.parse(text)
    if (options.valid && !options.valid(value)) throw new Error('not the expected shape')
    return value
  } catch (error) {
    setAside(file, /** @type {Error} */ (error).message, options)
    return undefined
  }
}

/**
 * How every lock here is taken: `file` need not exist; a holder that stops refreshing its lock is
 * taken to be dead; one that was only blocked hears that its lock was taken over.
 * @param {string} file
 * @param {import('./state-files.d.mts').Warn} warn
 * @returns {import('proper-lockfile').LockOptions}
 */
function lockOptions(file, warn) {
  return {
    realpath: false,
    stale: STALE_LOCK_MS,
    onCompromised: (error) => warn(`the lock on ${file} was taken over (${error.message}): this process was blocked for over ${STALE_LOCK_MS / 1000} s`),
  }
}

/**
 * Runs `action` holding the lock of `file` (the lock is `<file>.lock`; `file` itself need not
 * exist). Another holder is waited for; `onWait` hears once which process holds it. A holder that
 * is no longer running (killed) is taken over at once, not after its lock went stale.
 * @type {typeof import('./state-files.d.mts').withFileLock}
 */
export async function withFileLock(file, action, { onWait, warn = defaultWarn } = {}) {
  await mkdir(path.dirname(file), { recursive: true })
  const owner = `${file}.lock-owner`
  const options = lockOptions(file, warn)
  let release
  let told = false
  for (let pause = LOCK_POLL_MS.min; ; pause = Math.min(pause * 1.5, LOCK_POLL_MS.max)) {
    try {
      release = await lockfile.lock(file, { ...options, retries: 0 })
      break
    } catch (error) {
      if (/** @type {NodeJS.ErrnoException} */ (error).code !== 'ELOCKED') throw error
    }
    if (takeOverFromDeadHolder(file, warn)) continue
    if (!told) onWait?.(describeOwner(readOwner(owner)))
    told = true
    await new Promise((resolve) => setTimeout(resolve, pause))
  }
  try {
    await writeFile(owner, JSON.stringify({ ...thisProcess(), lock: lockIdentity(file) })).catch(() => undefined)
    return await action()
  } finally {
    await rm(owner, { force: true })
    await release().catch(() => undefined)
  }
}

/** @typedef {import('./state-files.d.mts').LockOwner} Owner */

/** @returns {Omit<Owner, 'lock'>} */
function thisProcess() {
  return { pid: process.pid, start: startTimeOf(process.pid) ?? '', boot: BOOT_ID, pidNamespace: PID_NAMESPACE }
}

const readOrEmpty = (/** @type {() => string} */ read) => {
  try {
    return read().trim()
  } catch {
    return ''
  }
}
const BOOT_ID = readOrEmpty(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8'))
const PID_NAMESPACE = readOrEmpty(() => readlinkSync('/proc/self/ns/pid'))

/**
 * A process's start time (field 22 of /proc/<pid>/stat, counted after the command name, which may
 * hold spaces and parentheses); undefined when it is not running (or only a zombie).
 * @param {number} pid
 * @returns {string | undefined}
 */
function startTimeOf(pid) {
  const stat = readOrEmpty(() => readFileSync(`/proc/${pid}/stat`, 'utf8'))
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // fields[0] is the 3rd field (state), so the 22nd is fields[19].
  return fields[0] && fields[0] !== 'Z' ? fields[19] : undefined
}

/**
 * Whether a lock's recorded owner still runs: "dead" when its pid is gone or now names another
 * process, or when the machine rebooted since; "unknown" when it cannot be told (another pid
 * namespace, a record written by an older version).
 * @type {typeof import('./state-files.d.mts').holderState}
 */
export function holderState(owner) {
  if (!owner || typeof owner.pid !== 'number' || !owner.start || !owner.boot || !BOOT_ID) return 'unknown'
  if (owner.boot !== BOOT_ID) return 'dead'
  if (owner.pidNamespace !== PID_NAMESPACE) return 'unknown'
  return startTimeOf(owner.pid) === owner.start ? 'alive' : 'dead'
}

/** @param {string} file */
function lockIdentity(file) {
  return String(statSync(`${file}.lock`, { throwIfNoEntry: false })?.ino ?? '')
}

/**
 * Removes the lock of `file` when its recorded owner is no longer running; true when it did (or
 * the lock went meanwhile), so the caller tries again at once. Takeovers of one lock take turns
 * (a lock of their own), and each checks again inside its turn that the lock is still the dead
 * owner's: two waiters never both take it, and a lock just taken by a live process stays.
 * @param {string} file
 * @param {import('./state-files.d.mts').Warn} warn
 * @returns {boolean}
 */
function takeOverFromDeadHolder(file, warn) {
  const ownerFile = `${file}.lock-owner`
  if (holderState(readOwnerRecord(ownerFile)) !== 'dead') return false
  let releaseTurn
  try {
    releaseTurn = lockfile.lockSync(`${file}.takeover`, { realpath: false, stale: STALE_LOCK_MS })
  } catch {
    return false // another waiter is taking it over: wait as for any holder
  }
  try {
    const owner = readOwnerRecord(ownerFile)
    if (!owner || holderState(owner) !== 'dead') return false
    const lock = `${file}.lock`
    if (lockIdentity(file) !== (owner.lock ?? '')) return false
    const aside = `${lock}.dead-${owner.pid}-${randomBytes(4).toString('hex')}`
    try {
      renameSync(lock, aside)
      rmSync(aside, { recursive: true, force: true })
    } catch (error) {
      if (/** @type {NodeJS.ErrnoException} */ (error).code !== 'ENOENT') throw error
    }
    rmSync(ownerFile, { force: true })
    warn(`${file}: its lock was held by pid ${owner.pid}, which is no longer running; taken over`)
    return true
  } finally {
    releaseTurn()
  }
}

/**
 * @param {string} ownerFile
 * @returns {Owner | undefined}
 */
function readOwnerRecord(ownerFile) {
  try {
    return JSON.parse(readFileSync(ownerFile, 'utf8'))
  } catch {
    return undefined
  }
}

/** What a lock's owner file says of its holder, for a waiting line: "pid 123". */
function describeOwner(/** @type {string} */ text) {
  try {
    return `pid ${/** @type {Owner} */ (JSON.parse(text)).pid}`
  } catch {
    return text // written by an older version: "pid 123"
  }
}

/**
 * withFileLock for synchronous callers (the report is written synchronously so that the summary
 * line stays last): it waits for another holder up to the time after which that holder's lock
 * counts as stale, sleeping between attempts.
 * @type {typeof import('./state-files.d.mts').withFileLockSync}
 */
export function withFileLockSync(file, action, { warn = defaultWarn } = {}) {
  mkdirSync(path.dirname(file), { recursive: true })
  const deadline = Date.now() + STALE_LOCK_MS * 2
  const options = lockOptions(file, warn)
  let release
  for (let pause = LOCK_POLL_MS.min; ; pause = Math.min(pause * 1.5, LOCK_POLL_MS.max)) {
    try {
      release = lockfile.lockSync(file, options)
      break
    } catch (error) {
      if (/** @type {NodeJS.ErrnoException} */ (error).code !== 'ELOCKED' || Date.now() > deadline) throw error
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, pause)
    }
  }
  try {
    return action()
  } finally {
    try {
      release()
    } catch {
      // Taken over meanwhile: onCompromised said so.
    }
  }
}

/** @param {string} ownerFile */
function readOwner(ownerFile) {
  try {
    return readFileSync(ownerFile, 'utf8').trim() || 'another process'
  } catch {
    return 'another process'
  }
}

/**
 * Read-modify-write of a JSON state file under its lock; an unreadable file counts as absent
 * (set aside with a warning). Returns what was written.
 * @type {typeof import('./state-files.d.mts').updateJsonFile}
 */
export function updateJsonFile(file, update, options = {}) {
  return withFileLock(
    file,
    async () => {
      const next = update(readJsonTolerantly(file, options))
      await writeFileAtomic(file, `${JSON.stringify(next, null, 2)}\n`)
      return next
    },
    options,
  )
}

/**
 * Appends one line under the file's lock: lines of concurrent writers never interleave, and a line
 * a killed writer left unfinished does not swallow the next.
 * @type {typeof import('./state-files.d.mts').appendLineLockedSync}
 */
export function appendLineLockedSync(file, line) {
  withFileLockSync(file, () => {
    const separator = endsLine(file) ? '' : '\n'
    appendFileSync(file, `${separator}${line}\n`)
  })
}

/**
 * @param {string} file
 * @returns {boolean} whether it is absent, empty or ends with a newline
 */
function endsLine(file) {
  let fd
  try {
    fd = openSync(file, 'r')
  } catch {
    return true
  }
  try {
    const { size } = fstatSync(fd)
    if (size === 0) return true
    const last = Buffer.alloc(1)
    readSync(fd, last, 0, 1, size - 1)
    return last[0] === 0x0a
  } finally {
    closeSync(fd)
  }
}


/** One warning line (default: console.warn with the kube-scenarios prefix). */
export type Warn = (line: string) => void
export interface TolerantReadOptions {
  warn?: Warn
  /** What setting the file aside means for this run ("estimates start over"). */
  consequence?: string
  /** A parsed value that fails this counts as unreadable too. */
  valid?: (value: unknown) => boolean
}
export interface LockOptions {
  /** Called once when another process holds the lock, with what it wrote of itself ("pid 123"). */
  onWait?: (owner: string) => void
  warn?: Warn
}
export declare const defaultWarn: Warn
export declare function writeFileAtomic(file: string, content: string, options?: { mode?: number }): Promise<void>
export declare function writeFileAtomicSync(file: string, content: string, options?: { mode?: number }): void
export declare function setAside(file: string, reason: string, options?: { warn?: Warn; consequence?: string }): void
export declare function readJsonTolerantly<T = unknown>(file: string, options?: TolerantReadOptions): T | undefined
export declare function withFileLock<T>(file: string, action: () => Promise<T>, options?: LockOptions): Promise<T>
export declare function updateJsonFile<T>(file: string, update: (current: T | undefined) => T, options?: TolerantReadOptions & LockOptions): Promise<T>
export declare function withFileLockSync<T>(file: string, action: () => T, options?: { warn?: Warn }): T
export declare function appendLineLockedSync(file: string, line: string): void
/**
 * A lock's owner as its `<file>.lock-owner` records it: the pid, the process's start time (clock
 * ticks after boot, /proc/<pid>/stat's 22nd field: a pid the kernel gave to a later process has
 * another), the boot and the pid namespace it counts in, and the lock directory's inode (a lock
 * taken after this record was written has another).
 */
export interface LockOwner {
  pid: number
  start: string
  boot: string
  pidNamespace: string
  lock?: string
}
export declare function holderState(owner: LockOwner | undefined): 'alive' | 'dead' | 'unknown'

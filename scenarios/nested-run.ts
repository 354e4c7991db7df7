// What the scenarios that start kube-scenarios itself (your-project, kill-9) share: this
// repository, and an environment without what vitest and the outer run set, so that the nested
// run is its own.
import { existsSync } from 'node:fs'
import { mkdir, rename, rm } from 'node:fs/promises'
import path from 'node:path'
import { $ } from 'zx'
import { CACHE_DIR } from '#images/lib/paths.mjs'

export const REPOSITORY = path.resolve(import.meta.dirname, '..')

export function environmentOfNestedRun(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(VITEST|KUBE_SCENARIOS_|TEST$|NODE_ENV$)/.test(name)))
}

/**
 * The Node lines a user's project is proved on (scenarios/your-project.test.ts): the newest LTS and
 * the newest current release, exact versions of the npm registry's node-<platform>-<arch> packages.
 */
export const USER_NODE_VERSIONS = ['24.22.3', '26.12.1'] as const

/**
 * The folder holding a `node` binary of that version, from the npm registry (the only source of
 * Node a machine without other network has), cached under the build's cache between runs.
 */
export async function registryNode(version: string): Promise<string> {
  const dir = path.join(CACHE_DIR, 'node', `${version}-${process.platform}-${process.arch}`)
  const binary = path.join(dir, 'package', 'bin', 'node')
  if (existsSync(binary)) return path.dirname(binary)
  const partial = `${dir}.partial-${process.pid}`
  await mkdir(partial, { recursive: true })
  try {
    const packed = await $({ cwd: partial, quiet: true })`npm pack --json ${`node-${process.platform}-${process.arch}@${version}`}`
    const { filename } = (JSON.parse(packed.stdout) as Array<{ filename: string }>)[0]!
    await $({ cwd: partial, quiet: true })`tar -xzf ${filename}`
    await rm(path.join(partial, filename))
    // Whole or not at all: a run that loses the race finds the other's copy in place.
    await rename(partial, dir).catch(async (error: NodeJS.ErrnoException) => {
      if (!existsSync(binary)) throw error
    })
  } finally {
    await rm(partial, { recursive: true, force: true })
  }
  return path.dirname(binary)
}

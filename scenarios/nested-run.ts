// What the scenarios that start kube-scenarios itself (your-project, kill-9) share: this
// repository, and an environment without what vitest and the outer run set, so that the nested
// run is its own.
import path from 'node:path'

export const REPOSITORY = path.resolve(import.meta.dirname, '..')

export function environmentOfNestedRun(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(VITEST|KUBE_SCENARIOS_|TEST$|NODE_ENV$)/.test(name)))
}

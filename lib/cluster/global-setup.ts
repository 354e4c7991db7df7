// vitest globalSetup of the scenarios project: one cluster for the whole run, handed to the test
// files with provide/inject, stopped (with everything it created) when the run ends.
import type { TestProject } from 'vitest/node'
import type { ClusterInfo } from './provider.js'
import { startRun } from './run.js'

declare module 'vitest' {
  export interface ProvidedContext {
    cluster: ClusterInfo
  }
}

export default async function setup(project: TestProject) {
  const run = await startRun()
  project.provide('cluster', run.info)
  // vitest runs teardown on normal ends and on Ctrl-C; the reaper covers everything else.
  return () => run.stop()
}

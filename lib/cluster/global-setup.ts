// vitest globalSetup of the scenarios project: one cluster for the whole run, handed to the test
// files with provide/inject, stopped (with everything it created) when the run ends.
import type { TestProject } from 'vitest/node'
import type { ClusterInfo } from './provider.js'
import { loadImages } from './control.js'
import { describeLoad } from './images.js'
import { startRun, type Run } from './run.js'
import { runSettings } from '../config/settings.js'

declare module 'vitest' {
  export interface ProvidedContext {
    cluster?: ClusterInfo
    /** Why the run has no cluster: every scenario file fails with it; unit tests still run. */
    clusterFailure?: string
    /** kubeScenarios({ images }): loaded into the cluster before the first test. */
    declaredImages?: string[]
  }
}

export default async function setup(project: TestProject) {
  let run: Run
  try {
    run = await startRun(runSettings())
  } catch (error) {
    // A throw here would abort the whole run before any test, unit tests included, and print the
    // reason after the summary line. Each scenario file reports it instead.
    project.provide('clusterFailure', (error as Error).message)
    return
  }
  const images = project.config.provide?.declaredImages ?? []
  if (images.length) {
    try {
      for (const load of await loadImages(run.info, images)) console.log(`[kube-scenarios] ${describeLoad(load)}`)
    } catch (error) {
      await run.stop()
      project.provide('clusterFailure', `the images of kubeScenarios({ images }) could not be loaded: ${(error as Error).message}`)
      return
    }
  }
  project.provide('cluster', run.info)
  // vitest runs teardown on normal ends and on Ctrl-C; the reaper covers everything else.
  return () => run.stop()
}

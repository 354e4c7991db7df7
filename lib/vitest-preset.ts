// The vitest configuration a kube-scenarios project needs, as one function:
//   import { kubeScenarios } from 'kube-scenarios/vitest'
//   export default kubeScenarios()                    // or mergeConfig(kubeScenarios(), { ... })
// A "scenarios" project (one cluster per run from the global setup, files side by side in their
// own namespaces, scenario timeouts) and the reporters (console, HTML report, the closing
// "N passed, N failed" line); optionally a "unit" project run first.
import path from 'node:path'
import type { ViteUserConfig } from 'vitest/config'
import { PACKAGE_ROOT } from './config/package-root.js'
import { runSettings, toEnv } from './config/settings.js'
import { exitUnlessSupportedNode } from './config/supported-node.mjs'

// vitest itself starts on older Node lines; the cluster's dependencies would then crash mid-run.
exitUnlessSupportedNode(path.join(PACKAGE_ROOT, 'package.json'))

export interface KubeScenariosOptions {
  /** Scenario files (globs, relative to the project root). Default: scenarios/**\/*.test.ts */
  scenarios?: string[]
  /** Folder that fixture paths are relative to. Default: fixtures */
  fixtures?: string
  /** Unit test files run before the scenarios, without a cluster. Default: none. */
  unit?: string[]
  /** Scenario files running at once on the shared cluster. Default: DEFAULT_MAX_WORKERS. */
  maxWorkers?: number
  /** A scenario's own limit; its waits carry tighter deadlines. Default: the `scenario` timeout (KUBE_SCENARIOS_TIMEOUTS). */
  timeoutMs?: number
  /**
   * Images of this machine's Docker the scenarios run (your app, built with `docker build`): put
   * into the run's cluster before the first test; one missing from Docker fails every scenario
   * file with what to build. Default: none.
   */
  images?: string[]
  /**
   * Runs of a failing scenario test before it counts as failed (vitest's retry). A test that
   * passes on a retry is reported as flaky everywhere (summary line, HTML, JUnit, history),
   * never as a plain pass. Default: 0.
   */
  retry?: number
}

// Six files at once on the shared cluster. Ten (every file of the chapter) saved ~15 s of wall
// time but starved pods on 2 cores: a run saw containerd record a Job pod's start seconds late
// (J2's 3 s measured as 2) and a response take over 1 s under load (U9).
export const DEFAULT_MAX_WORKERS = 6

// The harness's own vitest files: TypeScript in its repository, compiled JavaScript when installed.
const extension = path.extname(import.meta.filename)
const harnessFile = (relative: string) => path.join(import.meta.dirname, `${relative}${extension}`)

export function kubeScenarios(options: KubeScenariosOptions = {}): ViteUserConfig {
  const scenarioTimeout = runSettings().timeouts.scenario
  const unit = options.unit?.length
    ? [{ test: { name: 'unit', include: options.unit, sequence: { groupOrder: 0 } } }]
    : []
  return {
    test: {
      // The HTML report covers the scenarios project; summary-line stays last so the run ends with
      // "N passed, N failed".
      reporters: ['default', harnessFile('report/html-reporter'), harnessFile('report/summary-line')],
      teardownTimeout: 120_000,
      projects: [
        // Projects with different worker settings must run as separate groups: unit tests first.
        ...unit,
        {
          test: {
            name: 'scenarios',
            include: options.scenarios ?? ['scenarios/**/*.test.ts'],
            globalSetup: [harnessFile('cluster/global-setup')],
            setupFiles: [harnessFile('cluster/worker-setup')],
            // The bridge into the workers: settings travel as their variables.
            env: toEnv({ fixtures: path.resolve(options.fixtures ?? 'fixtures') }),
            provide: { declaredImages: options.images ?? [] },
            testTimeout: options.timeoutMs ?? scenarioTimeout,
            retry: options.retry ?? 0,
            hookTimeout: options.timeoutMs ?? scenarioTimeout,
            // Files share one cluster, each in its own namespace: run them side by side.
            pool: 'forks',
            // A worker imports the harness (client-node, testcontainers) once for all its files
            // instead of once per file (~2 s each); a file's state lives in its useScenario.
            isolate: false,
            fileParallelism: true,
            maxWorkers: options.maxWorkers ?? DEFAULT_MAX_WORKERS,
            sequence: { concurrent: false, groupOrder: 1 },
          },
        },
      ],
    },
  }
}

import { defineConfig } from 'vitest/config'

/** Scenario timeouts: a scenario waits on real clusters; its own waits carry tighter deadlines. */
const SCENARIO_TIMEOUT_MS = 15 * 60_000

export default defineConfig({
  test: {
    // The HTML report (reports/<run-id>/: index.html, junit.xml) covers the scenarios project;
    // summary-line stays last so the run ends with "N passed, N failed".
    reporters: ['default', './lib/report/html-reporter.ts', './lib/report/summary-line.ts'],
    teardownTimeout: 120_000,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts'],
          // Projects with different worker settings must run as separate groups: unit tests first.
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'scenarios',
          include: ['scenarios/**/*.test.ts'],
          globalSetup: ['lib/cluster/global-setup.ts'],
          setupFiles: ['lib/cluster/worker-setup.ts'],
          testTimeout: SCENARIO_TIMEOUT_MS,
          hookTimeout: SCENARIO_TIMEOUT_MS,
          // Files share one cluster, each in its own namespace: run them side by side.
          pool: 'forks',
          fileParallelism: true,
          maxWorkers: 6,
          sequence: { concurrent: false, groupOrder: 1 },
        },
      },
    ],
  },
})

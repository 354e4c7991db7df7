// A vitest reporter with one job: end the run with the plain line "N passed, N failed" (plus
// skipped when any), so a CI log's result is readable at a glance.
import type { Reporter, SerializedError, TestModule } from 'vitest/node'

export default class SummaryLineReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>): void {
    const counts = { passed: 0, failed: 0, skipped: 0 }
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state
        if (state === 'passed') counts.passed++
        else if (state === 'failed') counts.failed++
        else counts.skipped++
      }
      // A file that failed to load has no tests to count; it still failed.
      if (module.state() === 'failed' && [...module.children.allTests()].length === 0) counts.failed++
    }
    // An error outside any test (a broken config, a crashed global setup) fails the run too.
    counts.failed += unhandledErrors.length
    const skipped = counts.skipped ? `, ${counts.skipped} skipped` : ''
    process.stdout.write(`\n${counts.passed} passed, ${counts.failed} failed${skipped}\n`)
  }
}

// A vitest reporter with one job: end the run with the plain line "N passed, N failed" (plus
// skipped when any), so a CI log's result is readable at a glance. It counts as the HTML report does.
import type { Reporter, SerializedError, TestModule } from 'vitest/node'
import { collectFile } from './collect.js'
import { countByStatus } from './model.js'

export default class SummaryLineReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>): void {
    const counts = countByStatus(testModules.map(collectFile))
    // An error outside any test (a broken config, a crashed global setup) fails the run too.
    counts.failed += unhandledErrors.length
    const skipped = counts.skipped ? `, ${counts.skipped} skipped` : ''
    process.stdout.write(`\n${counts.passed} passed, ${counts.failed} failed${skipped}\n`)
  }
}

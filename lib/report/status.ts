// A test's outcome, as vitest reports it: shared by the run model and the conformance specs.
export type TestStatus = 'passed' | 'failed' | 'skipped'

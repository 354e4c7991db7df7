// The run as JUnit XML (reports/<run>/junit.xml) for CI test views: one testsuite per recipe,
// test names carrying their recipe IDs, failures with message, diff and awaited condition, and
// the steps and evidence in system-out.
import { escapeXml, stripAnsi } from './escape.js'
import { formatDuration } from './duration.js'
import type { ConformanceReport, ConformanceSpec } from './conformance.js'
import { isUndecided, undecidedClaims, type ErrorReport, type FileReport, type RunReport, type TestReport } from './model.js'

export function renderJunit(run: RunReport): string {
  const suites = run.files.map((file) => renderSuite(file, run))
  const tests = run.files.flatMap((f) => f.tests)
  const all: Array<{ status: string }> = [...tests, ...(run.conformance?.specs ?? [])]
  const fileErrors = run.files.filter((f) => f.errors.length > 0).length
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="kube-scenarios ${escapeXml(run.runId)}" tests="${all.length}" failures="${all.filter((t) => t.status === 'failed').length}" errors="${fileErrors}" skipped="${all.filter((t) => t.status === 'skipped').length + tests.filter(isUndecided).length}" time="${seconds(run.endedAt - run.startedAt)}" timestamp="${new Date(run.startedAt).toISOString()}">`,
    ...suites,
    ...(run.conformance ? [renderConformanceSuite(run.conformance, run)] : []),
    '</testsuites>',
    '',
  ].join('\n')
}

/** The conformance specs as one testsuite, classname their area, a skip's reason as its message. */
function renderConformanceSuite(report: ConformanceReport, run: RunReport): string {
  const count = (status: ConformanceSpec['status']) => report.specs.filter((s) => s.status === status).length
  const testcase = (spec: ConformanceSpec) => {
    const open = `    <testcase classname="${escapeXml(spec.area)}" name="${escapeXml(spec.name)}" time="${seconds(spec.durationMs)}">`
    if (spec.status === 'passed') return `${open}</testcase>`
    if (spec.status === 'skipped') return `${open}<skipped message="${escapeXml(spec.skipReason ?? '')}"/></testcase>`
    const text = stripAnsi(spec.failure ?? '')
    return [open, `      <failure message="${escapeXml(text.split('\n')[0] ?? '')}" type="failed">${escapeXml(text)}</failure>`, ...(spec.log ? [`      <system-err>${escapeXml(spec.log)}</system-err>`] : []), '    </testcase>'].join('\n')
  }
  return [
    `  <testsuite name="conformance" tests="${report.specs.length}" failures="${count('failed')}" errors="0" skipped="${count('skipped')}" time="${seconds(report.durationMs)}" timestamp="${new Date(run.startedAt).toISOString()}">`,
    `    <properties><property name="suiteVersion" value="${escapeXml(report.suiteVersion)}"/><property name="parallel" value="${report.parallel}"/></properties>`,
    ...report.specs.map(testcase),
    '  </testsuite>',
  ].join('\n')
}

function renderSuite(file: FileReport, run: RunReport): string {
  const properties = { runId: run.runId, provider: run.provider, kubernetesVersion: run.kubernetesVersion, namespace: file.namespace }
  return [
    `  <testsuite name="${escapeXml(file.recipe)}" file="${escapeXml(file.file)}" tests="${file.tests.length}" failures="${file.tests.filter((t) => t.status === 'failed').length}" errors="${file.errors.length ? 1 : 0}" skipped="${file.tests.filter((t) => t.status === 'skipped' || isUndecided(t)).length}" time="${seconds(file.durationMs)}" timestamp="${new Date(run.startedAt).toISOString()}">`,
    '    <properties>',
    ...Object.entries(properties).flatMap(([name, value]) => (value ? [`      <property name="${name}" value="${escapeXml(value)}"/>`] : [])),
    '    </properties>',
    ...file.tests.map((test) => renderCase(test, file)),
    ...(file.errors.length ? [renderFileError(file)] : []),
    '  </testsuite>',
  ].join('\n')
}

function renderCase(test: TestReport, file: FileReport): string {
  const open = `    <testcase classname="${escapeXml(file.recipe)}" name="${escapeXml(test.name)}" file="${escapeXml(file.file)}" time="${seconds(test.durationMs)}">`
  // As surefire writes retries: a pass after failures keeps them as flakyFailure; a test that
  // failed every attempt has its first failure and then one rerunFailure per retry.
  const failures =
    test.status === 'failed'
      ? test.errors.map((e, i) => failure(i === 0 ? 'failure' : 'rerunFailure', e))
      : test.flaky
        ? test.errors.map((e) => failure('flakyFailure', e))
        : []
  const body = test.status === 'skipped' ? ['      <skipped/>'] : [...undecided(test), ...failures, `      <system-out>${escapeXml(systemOut(test))}</system-out>`]
  return [open, ...body, '    </testcase>'].join('\n')
}

/**
 * An undecided test is a <skipped> with its claims as the message, not a property: every CI test
 * view (GitLab, Jenkins, GitHub's test reporters) counts and lists skipped tests, none shows a
 * custom property, and a skip is what it is: a claim neither passed nor failed. Its system-out
 * stays (the test ran).
 */
function undecided(test: TestReport): string[] {
  if (!isUndecided(test)) return []
  const claims = undecidedClaims(test.timeline).map((c) => `${c.claim} (${c.why})`)
  return [`      <skipped message="${escapeXml(`undecided: ${claims.join('; ')}`)}"/>`]
}

function renderFileError(file: FileReport): string {
  return [`    <testcase classname="${escapeXml(file.recipe)}" name="${escapeXml(`${file.recipe} (file)`)}" file="${escapeXml(file.file)}" time="0">`, ...file.errors.map((e) => failure('error', e)), '    </testcase>'].join('\n')
}

function failure(element: 'failure' | 'rerunFailure' | 'flakyFailure' | 'error', error: ErrorReport): string {
  const text = [stripAnsi(error.message), error.awaited ? `awaited: ${error.awaited}` : '', error.diff ? `diff:\n${stripAnsi(error.diff)}` : '', error.stack ? stripAnsi(error.stack) : '']
    .filter(Boolean)
    .join('\n\n')
  const headline = stripAnsi(error.message).split('\n')[0] ?? ''
  return `      <${element} message="${escapeXml(headline)}" type="${escapeXml(error.name ?? 'Error')}">${escapeXml(text)}</${element}>`
}

function systemOut(test: TestReport): string {
  const steps = test.steps.map((s, i) => `${i + 1}. ${s.name}: ${s.status} in ${formatDuration(s.durationMs)}`)
  const evidence = test.evidence ? ['', 'events:', test.evidence.events, 'pods not ready:', test.evidence.podLogs, 'workloads:', test.evidence.objects] : []
  return ['steps:', ...(steps.length ? steps : ['(none recorded)']), ...evidence].join('\n')
}

function seconds(ms: number): string {
  return (Math.max(ms, 0) / 1000).toFixed(3)
}

// A conformance run for the report's tests: ginkgo's JUnit as the e2e framework writes it
// (junit_01.xml: every spec of the binary, the unselected ones skipped), and the run built from it.
import { conformanceSpecs, parseJunitCases, type ConformanceSelection } from '../../lib/report/conformance.js'
import type { RunReport } from '../../lib/report/model.js'

export const CONFORMANCE_START = Date.UTC(2026, 11, 2, 3, 0, 0)

export const SAMPLE_SELECTION: ConformanceSelection = {
  areas: [
    { name: 'sig-apps', focus: '\\[sig-apps\\] (Deployment|Job) ' },
    { name: 'sig-network', focus: '\\[sig-network\\] (Services|DNS) ' },
  ],
  skip: [
    { test: '[sig-network] Services should be able to change the type from ExternalName to NodePort [Conformance]', reason: 'needs a name resolvable outside the cluster <none here>' },
    { test: '[sig-apps] CronJob should not schedule jobs when suspended [Slow] [Conformance]', reason: 'outside the areas: listed to show it is not in this selection' },
  ],
}

export const FAILURE_TEXT = '[FAILED] service endpoints not reachable: <nil> & "timed out"\nIn [It] at: k8s.io/kubernetes/test/e2e/network/service.go:812 @ 12/02/26 03:10:00.000'

/** Entities as Go's encoding/xml writes them (newlines as &#xA;). */
const xml = (text: string) => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&#34;').replaceAll('\n', '&#xA;')

export const SAMPLE_JUNIT = `<?xml version="1.0" encoding="UTF-8"?>
  <testsuites tests="9" disabled="4" errors="0" failures="1" time="1810.2">
      <testsuite name="Kubernetes e2e suite" package="/cache/go-e2e-test" tests="9" disabled="0" skipped="4" errors="0" failures="1" time="1810.2" timestamp="2026-12-02T03:00:00">
          <properties>
              <property name="SuiteSucceeded" value="false"></property>
              <property name="LabelFilter" value="Conformance"></property>
          </properties>
          <testcase name="[SynchronizedBeforeSuite]" classname="Kubernetes e2e suite" status="passed" time="2.5"></testcase>
          <testcase name="[It] [sig-apps] Deployment deployment should support rollover [Conformance]" classname="Kubernetes e2e suite" status="passed" time="31.25"></testcase>
          <testcase name="[It] [sig-apps] Job should delete a job [Conformance]" classname="Kubernetes e2e suite" status="passed" time="44.004"></testcase>
          <testcase name="[It] [sig-network] Services should serve a basic endpoint from pods [Conformance]" classname="Kubernetes e2e suite" status="failed" time="125.5">
              <failure type="failed">${xml(FAILURE_TEXT)}</failure>
              <system-err>${xml('STEP: creating service endpoint-test2 in namespace services-1234\n<script>alert(1)</script>')}</system-err>
          </testcase>
          <testcase name="[It] [sig-network] Services should be able to change the type from ExternalName to NodePort [Conformance]" classname="Kubernetes e2e suite" status="skipped" time="0">
              <skipped message="skipped"></skipped>
          </testcase>
          <testcase name="[It] [sig-network] DNS should provide DNS for the cluster [Provider:GCE]" classname="Kubernetes e2e suite" status="skipped" time="0">
              <skipped message="skipped"></skipped>
          </testcase>
          <testcase name="[It] [sig-network] DNS should support configurable pod DNS nameservers [Conformance]" classname="Kubernetes e2e suite" status="skipped" time="0.8">
              <skipped message="skipped - Only supported for node OS distro [gci ubuntu] (not debian)"></skipped>
          </testcase>
          <testcase name="[It] [sig-apps] Deployment should validate Deployment Status endpoints [Conformance]" classname="Kubernetes e2e suite" status="skipped" time="0">
              <skipped message="skipped"></skipped>
          </testcase>
          <testcase name="[It] [sig-storage] ConfigMap should be consumable from pods in volume [NodeConformance] [Conformance]" classname="Kubernetes e2e suite" status="skipped" time="0">
              <skipped message="skipped"></skipped>
          </testcase>
          <testcase name="[SynchronizedAfterSuite]" classname="Kubernetes e2e suite" status="passed" time="0.1"></testcase>
      </testsuite>
  </testsuites>
`

export function sampleConformanceRun(): RunReport {
  const specs = conformanceSpecs(parseJunitCases(SAMPLE_JUNIT), SAMPLE_SELECTION)
  return {
    runId: '20261202-c0ffee',
    provider: 'local',
    kubernetesVersion: 'v1.34.4',
    nodes: ['kube-scenarios-control-plane', 'kube-scenarios-worker-1'],
    startedAt: CONFORMANCE_START,
    endedAt: CONFORMANCE_START + 1_830_000,
    outcome: 'failed',
    files: [],
    unhandledErrors: [],
    conformance: { suiteVersion: 'v1.34.4', selection: SAMPLE_SELECTION, parallel: 4, durationMs: 1_810_200, specs, files: { junit: 'e2e/junit_01.xml', log: 'e2e/e2e.log', product: 'e2e/PRODUCT.yaml' } },
  }
}

// kube-scenarios' preset: one cluster per run, scenario files side by side in their own
// namespaces, the HTML report in reports/. Merge your own settings with vitest's mergeConfig.
import { kubeScenarios } from 'kube-scenarios/vitest'

export default kubeScenarios()

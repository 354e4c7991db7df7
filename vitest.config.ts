// The chapter suite uses the harness's preset, as a user's project does (kube-scenarios/vitest),
// plus this repository's unit tests.
import { kubeScenarios } from './lib/vitest-preset.js'

export default kubeScenarios({ unit: ['tests/unit/**/*.test.ts'] })

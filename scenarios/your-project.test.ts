// kube-scenarios as a platform engineer uses it from their own repository: the package packed,
// installed into an empty project, `init` run there, and the generated example scenario run on
// this run's cluster (borrowed through its kubeconfig, as `kube-scenarios up` hands a cluster out),
// the example app's image built with `docker build` and loaded into the nodes by the nested run.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect } from 'vitest'
import { $ } from 'zx'
import { kubeconfigForBorrowing, useScenario } from '../lib/index.js'
import { withFileLock } from '#images/lib/state-files.mjs'
import { REPOSITORY, environmentOfNestedRun } from './nested-run.js'

const s = useScenario('your-project')
const work = mkdtempSync(path.join(tmpdir(), 'kube-scenarios-your-project-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

describe('your-project', () => {
  s.test('the packed package installs into an empty project, init scaffolds it, and its examples pass on this cluster, its own app built here included', async () => {
    const project = path.join(work, 'project')
    const tarball = await s.step('npm pack (builds dist/)', async () => {
      // Packing builds dist/ in the checkout and removes it after: another run of this checkout
      // packing at the same time would find it half-built or gone. One pack at a time.
      const packed = await withFileLock(path.join(REPOSITORY, 'dist'), () => $({ cwd: REPOSITORY, quiet: true })`npm pack --pack-destination ${work} --json`)
      return path.join(work, (JSON.parse(packed.stdout) as Array<{ filename: string }>)[0]!.filename)
    })
    const vitestVersion = (await $({ cwd: REPOSITORY, quiet: true })`node -p ${'require("vitest/package.json").version'}`).stdout.trim()
    const inProject = $({ cwd: project, quiet: true, env: environmentOfNestedRun() })
    await s.step('install it and vitest into an empty project', async () => {
      await $`mkdir -p ${project}`
      await inProject`npm init -y`
      await inProject`npm install --save-dev --no-audit --no-fund --prefer-offline ${tarball} vitest@${vitestVersion}`
    })
    const scaffolded = await s.step('npx kube-scenarios init', () => inProject`npx kube-scenarios init`)
    for (const file of ['vitest.config.mts', 'scenarios/example.test.ts', 'fixtures/example/web.yaml', 'app/Dockerfile', 'scenarios/example-app.test.ts']) expect(scaffolded.stdout).toContain(file)
    // Its own app, built here: on the offline cluster's machine from the base image the build keeps.
    await s.step('npm run build:app (docker build of the example app)', () => inProject`npm run build:app`)

    const kubeconfig = path.join(work, 'kubeconfig')
    writeFileSync(kubeconfig, kubeconfigForBorrowing(s.cluster), { mode: 0o600 })
    const run = await s.step('npm test in the project, on this run\'s cluster', () =>
      $({ cwd: project, quiet: true, nothrow: true, env: { ...environmentOfNestedRun(), CI: 'true', KUBE_SCENARIOS_CLUSTER: 'kubeconfig', KUBE_SCENARIOS_KUBECONFIG: kubeconfig } })`npm test`,
    )
    const output = `${run.stdout}\n${run.stderr}`
    const summary = run.stdout.trim().split('\n').at(-1)
    s.timeline.note(`the project's run ended: ${summary}`)
    expect(run.exitCode, output).toBe(0)
    expect(summary, output).toBe('3 passed, 0 failed')
    expect(existsSync(path.join(project, 'reports', 'latest', 'index.html'))).toBe(true)
  })
})

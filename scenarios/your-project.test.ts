// kube-scenarios as a platform engineer uses it from their own repository, on the Node lines users
// have today: the package packed, installed with vitest 5 into an empty project whose every
// command runs on that Node (the npm registry's build of it), `init` run there, and the generated
// example scenarios run on this run's cluster (borrowed through its kubeconfig, as `kube-scenarios
// up` hands a cluster out), the example app's image built with `docker build` and loaded into the
// nodes by the nested run.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect } from 'vitest'
import { $ } from 'zx'
import { kubeconfigForBorrowing, useScenario } from '../lib/index.js'
import { withFileLock } from '#images/lib/state-files.mjs'
import { REPOSITORY, USER_NODE_VERSIONS, environmentOfNestedRun, registryNode } from './nested-run.js'

const s = useScenario('your-project')
const work = mkdtempSync(path.join(tmpdir(), 'kube-scenarios-your-project-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

/** Packed once for every project of this file. */
let packed: Promise<string> | undefined
const tarball = () =>
  (packed ??= (async () => {
    // Packing builds dist/ in the checkout and removes it after: another run of this checkout
    // packing at the same time would find it half-built or gone. One pack at a time.
    const result = await withFileLock(path.join(REPOSITORY, 'dist'), () => $({ cwd: REPOSITORY, quiet: true })`npm pack --pack-destination ${work} --json`)
    return path.join(work, (JSON.parse(result.stdout) as Array<{ filename: string }>)[0]!.filename)
  })())

describe('your-project', () => {
  // The last one installs with every dependency install script skipped (what a stricter npm does).
  for (const [index, nodeVersion] of USER_NODE_VERSIONS.entries()) {
    const ignoreScripts = index === USER_NODE_VERSIONS.length - 1
    s.test.concurrent(
      `Node ${nodeVersion}: the packed package installs beside vitest 5 with no peer conflict${ignoreScripts ? ' (install scripts skipped)' : ''}, init scaffolds the project, and its examples pass on this cluster, its own app built here included`,
      async () => {
        const project = path.join(work, `node-${nodeVersion}`)
        const packedFile = await s.step('npm pack (builds dist/)', tarball)
        const nodeDir = await s.step(`Node ${nodeVersion} from the npm registry`, () => registryNode(nodeVersion))
        // npm, npx, vitest and what kube-scenarios spawns all find this node first.
        const environment = { ...environmentOfNestedRun(), PATH: `${nodeDir}${path.delimiter}${process.env.PATH}` }
        const inProject = $({ cwd: project, quiet: true, env: environment })
        expect((await $({ quiet: true, env: environment })`node --version`).stdout.trim()).toBe(`v${nodeVersion}`)
        await s.step('npm init; npm install --save-dev vitest@5; then the package (no --force, no --legacy-peer-deps)', async () => {
          await $`mkdir -p ${project}`
          await inProject`npm init -y`
          const flags = ['--save-dev', '--no-audit', '--no-fund', '--prefer-offline', ...(ignoreScripts ? ['--ignore-scripts'] : [])]
          await inProject`npm install ${flags} vitest@5`
          const installed = await inProject`npm install ${flags} ${packedFile}`
          expect(installed.stderr).not.toMatch(/ERESOLVE|EBADENGINE/)
        })
        const versions = JSON.parse((await inProject`npm ls vitest kube-scenarios --json`).stdout) as { dependencies: Record<string, { version: string }> }
        expect(versions.dependencies.vitest?.version).toMatch(/^5\./)
        const scaffolded = await s.step('npx kube-scenarios init', () => inProject`npx kube-scenarios init`)
        for (const file of ['vitest.config.mts', 'scenarios/example.test.ts', 'fixtures/example/web.yaml', 'app/Dockerfile', 'scenarios/example-app.test.ts']) expect(scaffolded.stdout).toContain(file)
        // Its own app, built here: on the offline cluster's machine from the base image the build keeps.
        await s.step('npm run build:app (docker build of the example app)', () => inProject`npm run build:app`)

        const kubeconfig = path.join(project, 'kubeconfig')
        writeFileSync(kubeconfig, kubeconfigForBorrowing(s.cluster), { mode: 0o600 })
        const run = await s.step("npm test in the project, on this run's cluster", () =>
          $({ cwd: project, quiet: true, nothrow: true, env: { ...environment, CI: 'true', KUBE_SCENARIOS_CLUSTER: 'kubeconfig', KUBE_SCENARIOS_KUBECONFIG: kubeconfig } })`npm test`,
        )
        const output = `${run.stdout}\n${run.stderr}`
        const summary = run.stdout.trim().split('\n').at(-1)
        s.timeline.note(`the project's run on Node ${nodeVersion} ended: ${summary}`)
        expect(run.exitCode, output).toBe(0)
        expect(summary, output).toBe('3 passed, 0 failed')
        expect(existsSync(path.join(project, 'reports', 'latest', 'index.html'))).toBe(true)
      },
    )
  }
})

// The conformance suite is built from its own module (images/e2e/go.mod: the e2e suite needs
// go.sum entries images/go lacks), which must stay the cluster's module graph: the same
// Kubernetes release, the same replacements, every shared module at the same version (so the
// suite tests the release the cluster runs, and Go's build cache shares what both compile).
import { readFileSync } from 'node:fs'
import { describe, expect, test } from 'vitest'

const CLUSTER_MODULE = 'images/go/go.mod'
const E2E_MODULE = 'images/e2e/go.mod'

/** Module path -> version of a go.mod's require lines. */
function requirements(goMod: string): Map<string, string> {
  const requires = goMod.slice(0, goMod.indexOf('\nreplace ('))
  return new Map([...requires.matchAll(/^\s*(?:require\s+)?([\w.~/-]+) (v\S+)/gm)].map(([, module, version]) => [module!, version!]))
}

const replacements = (goMod: string) => goMod.slice(goMod.indexOf('\nreplace ('))

describe('the e2e suite module', () => {
  const cluster = readFileSync(CLUSTER_MODULE, 'utf8')
  const e2e = readFileSync(E2E_MODULE, 'utf8')

  test("requires the cluster's Kubernetes release with the cluster's replacements", () => {
    expect(requirements(e2e).get('k8s.io/kubernetes')).toBe(requirements(cluster).get('k8s.io/kubernetes'))
    expect(replacements(e2e)).toBe(replacements(cluster))
  })

  test('pins every module the cluster also pins at the same version', () => {
    const pinned = requirements(cluster)
    const moved = [...requirements(e2e)].filter(([module, version]) => pinned.has(module) && pinned.get(module) !== version)
    expect(moved).toEqual([])
  })
})

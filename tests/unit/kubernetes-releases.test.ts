// The supported Kubernetes releases (images/lib/kubernetes-releases.mjs): every one still patched
// upstream today, so that the next bump is noticed when a release ends; the default release's
// components are what the offline build's go.mod files pin.
import { readFileSync } from 'node:fs'
import { describe, expect, test } from 'vitest'
import { COMPONENT_MODULES, DEFAULT_RELEASE, KUBERNETES_RELEASES } from '../../images/lib/kubernetes-releases.mjs'
import { DEFAULT_K3S_IMAGE, KUBERNETES_MINOR, KUBERNETES_VERSION } from '../../images/lib/cluster-constants.mjs'

/** The version images/<dir>/go.mod requires of a module. */
function requiredVersion(dir: string, module: string): string | undefined {
  const goMod = readFileSync(`images/${dir}/go.mod`, 'utf8')
  return new RegExp(`^\\s*(?:require\\s+)?${module.replaceAll('.', '\\.')} (v\\S+)`, 'm').exec(goMod)?.[1]
}

describe('the supported Kubernetes releases', () => {
  test.each(KUBERNETES_RELEASES.map((r) => [r.minor, r.endOfLife]))('%s is still patched upstream today (end of life %s)', (minor, endOfLife) => {
    const today = new Date().toISOString().slice(0, 10)
    expect(today <= endOfLife, `Kubernetes ${minor} reached its end of life on ${endOfLife}: add the next release to images/lib/kubernetes-releases.mjs and drop this one`).toBe(true)
  })

  test('are consecutive minors, oldest first, each naming its own patch and k3s image', () => {
    const minors = KUBERNETES_RELEASES.map((r) => Number(r.minor.split('.')[1]))
    expect(minors).toEqual(minors.map((_, i) => minors[0]! + i))
    for (const release of KUBERNETES_RELEASES) {
      expect(release.released < release.endOfLife).toBe(true)
      expect(release.kubernetes).toMatch(new RegExp(`^v${release.minor.replace('.', '\\.')}\\.\\d+$`))
      expect(release.k3sImage).toMatch(new RegExp(`^rancher/k3s:v${release.minor.replace('.', '\\.')}\\.\\d+-k3s\\d+$`))
    }
  })

  test('the default is the newest, and the cluster constants are its values', () => {
    expect(DEFAULT_RELEASE).toEqual(KUBERNETES_RELEASES.at(-1))
    expect([KUBERNETES_MINOR, KUBERNETES_VERSION, DEFAULT_K3S_IMAGE]).toEqual([DEFAULT_RELEASE.minor, DEFAULT_RELEASE.kubernetes, DEFAULT_RELEASE.k3sImage])
  })

  test("the offline build's go.mod files pin the default release's components", () => {
    const versions = { kubernetes: DEFAULT_RELEASE.kubernetes, ...DEFAULT_RELEASE.components }
    const pinned = Object.entries(COMPONENT_MODULES).map(([component, { dir, module }]) => [component, requiredVersion(dir, module)])
    expect(Object.fromEntries(pinned)).toEqual(versions)
    // The conformance suite's module builds the same release.
    expect(requiredVersion('e2e', COMPONENT_MODULES.kubernetes.module)).toBe(DEFAULT_RELEASE.kubernetes)
  })
})

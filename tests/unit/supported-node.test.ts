// The supported Node lines come from package.json's engines; an older Node gets one line naming
// both versions and where to get a supported one, before any dependency loads.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { requiredNode, unsupportedNodeLine } from '../../lib/config/supported-node.mjs'

const PACKAGE_JSON = path.join(import.meta.dirname, '../../package.json')

describe('supported Node', () => {
  const required = requiredNode(PACKAGE_JSON)

  test('the minimum is engines.node of package.json', () => {
    expect(required).toEqual({ range: '>=22.22', minimum: [22, 22, 0] })
  })

  test('older lines and patches are refused with both versions; the minimum and newer lines pass', () => {
    const line = unsupportedNodeLine('20.20.2', required)
    expect(line).toContain('needs Node.js >=22.22; this is Node.js 20.20.2')
    expect(line).toContain('Install Node 24 LTS')
    expect(line).not.toContain('\n')
    expect(unsupportedNodeLine('22.21.9', required)).toContain('this is Node.js 22.21.9')
    for (const version of ['22.22.0', '22.23.1', '24.21.0', '26.12.1']) expect(unsupportedNodeLine(version, required)).toBeUndefined()
  })

  test('the Node running these tests is a supported one (the repository pins it: package.json devDependencies)', () => {
    expect(unsupportedNodeLine(process.versions.node, required)).toBeUndefined()
    const { devDependencies } = JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { devDependencies: Record<string, string> }
    // A test worker, so vitest's forks run on the pinned Node too.
    expect(process.versions.node).toBe(devDependencies.node)
  })
})

// docs/api.md lists exactly what the public entry point exports.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { expect, test } from 'vitest'
import * as api from '../../lib/index.js'

test('docs/api.md names every export of lib/index.ts and nothing else', () => {
  const reference = readFileSync(path.join(import.meta.dirname, '..', '..', 'docs', 'api.md'), 'utf8')
  const documented = [...reference.matchAll(/^\| `(\w+)` \|/gm)].map((m) => m[1]!)
  expect(new Set(documented).size, 'an export is documented twice').toBe(documented.length)
  expect(documented.sort()).toEqual(Object.keys(api).sort())
})

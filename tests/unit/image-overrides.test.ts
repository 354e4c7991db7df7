import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { readImageOverrides } from '../../lib/cluster/kubeconfig.js'

const dir = mkdtempSync(path.join(tmpdir(), 'kube-scenarios-overrides-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const file = (name: string, text: string) => {
  const where = path.join(dir, name)
  writeFileSync(where, text)
  return where
}

describe('KUBE_SCENARIOS_IMAGE_OVERRIDES', () => {
  test('a plain map and the manifest `npm run images` writes give the same map', () => {
    const map = { 'nginx:1.27': 'kube-scenarios/nginx:1.27' }
    expect(readImageOverrides(file('map.json', JSON.stringify(map)))).toEqual(map)
    expect(readImageOverrides(file('manifest.json', JSON.stringify({ nodeImage: 'kube-scenarios/node:1', imageOverrides: map })))).toEqual(map)
    expect(readImageOverrides('')).toEqual({})
  })

  test('bad input names the setting, the file and the field', () => {
    const broken = file('broken.json', '{ "nginx:1.27": ')
    expect(() => readImageOverrides(broken)).toThrow(new RegExp(`KUBE_SCENARIOS_IMAGE_OVERRIDES file ${broken}: .*JSON`))
    expect(() => readImageOverrides(path.join(dir, 'missing.json'))).toThrow(/missing\.json: ENOENT/)
    expect(() => readImageOverrides(file('list.json', '["nginx"]'))).toThrow(/list\.json: \(top level\) must be an object mapping image references/)
    expect(() => readImageOverrides(file('typed.json', '{ "imageOverrides": { "nginx:1.27": 3 } }'))).toThrow(/typed\.json: imageOverrides\."nginx:1\.27" must be a string, not 3/)
  })
})

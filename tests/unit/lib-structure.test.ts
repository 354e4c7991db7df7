// lib/ is grouped by what it does, a folder per concern with a README, and its imports flow one
// way: no circle between files, none between folders (types included: a type circle is a design
// circle too). The harness reaches the build only through the values both must agree on.
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, test } from 'vitest'

const LIB = path.join(import.meta.dirname, '../../lib')
const files = (readdirSync(LIB, { recursive: true }) as string[]).filter((f) => /\.(ts|mjs)$/.test(f) && !f.endsWith('.d.ts') && !f.endsWith('.d.mts')).map((f) => f.split(path.sep).join('/'))
const SPEC = /(?:\bfrom\s*|\bimport\s*\(\s*)['"]([^'"]+)['"]/g

/** A file's imports of other lib files (relative), and of anything else (as written). */
function importsOf(file: string): { local: string[]; other: string[] } {
  const local: string[] = []
  const other: string[] = []
  for (const [, spec] of readFileSync(path.join(LIB, file), 'utf8').matchAll(SPEC)) {
    if (!spec!.startsWith('.')) other.push(spec!)
    else local.push(path.posix.normalize(path.posix.join(path.posix.dirname(file), spec!)).replace(/\.js$/, '.ts'))
  }
  return { local, other }
}
const graph = new Map(files.map((f) => [f, importsOf(f)]))
const folderOf = (file: string) => (file.includes('/') ? file.split('/')[0]! : '.')

/** The first circle found in `edges`, as the path that closes it, or undefined. */
function findCircle(edges: Map<string, Set<string>>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>()
  const trail: string[] = []
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === 'done') return undefined
    if (state.get(node) === 'open') return [...trail.slice(trail.indexOf(node)), node]
    state.set(node, 'open')
    trail.push(node)
    for (const next of edges.get(node) ?? []) {
      const circle = visit(next)
      if (circle) return circle
    }
    trail.pop()
    state.set(node, 'done')
    return undefined
  }
  for (const node of edges.keys()) {
    const circle = visit(node)
    if (circle) return circle
  }
  return undefined
}

describe('lib/ structure', () => {
  test('every relative import names a file of lib/', () => {
    for (const [file, { local }] of graph) for (const target of local) expect(files, `${file} imports ${target}`).toContain(target)
  })

  test('no import circle between files', () => {
    const edges = new Map([...graph].map(([file, { local }]) => [file, new Set(local)]))
    expect(findCircle(edges)?.join(' -> ')).toBeUndefined()
  })

  test('no import circle between folders', () => {
    const edges = new Map<string, Set<string>>()
    for (const [file, { local }] of graph) {
      const from = folderOf(file)
      for (const target of local) if (folderOf(target) !== from) (edges.get(from) ?? edges.set(from, new Set()).get(from)!).add(folderOf(target))
    }
    expect(findCircle(edges)?.join(' -> ')).toBeUndefined()
  })

  test('no file at the top but the two entry points; every folder says what it holds in its README', () => {
    expect(files.filter((f) => !f.includes('/')).sort()).toEqual(['index.ts', 'vitest-preset.ts'])
    for (const folder of new Set(files.map(folderOf))) {
      if (folder === '.') continue
      const readme = path.join(LIB, folder, 'README.md')
      expect(existsSync(readme), `lib/${folder}/README.md`).toBe(true)
      expect(readFileSync(readme, 'utf8').trim().split('\n').length).toBeGreaterThan(1)
    }
  })

  test('the harness imports of the build only the values both agree on', () => {
    const fromBuild = [...graph].flatMap(([file, { other }]) => other.filter((s) => s.startsWith('#images/')).map((s) => `${file}: ${s}`))
    const shared = ['#images/lib/cluster-constants.mjs', '#images/lib/paths.mjs', '#images/lib/state-files.mjs', '#images/lib/cache.mjs']
    expect(fromBuild.filter((line) => !shared.some((s) => line.endsWith(s)))).toEqual([])
  })
})

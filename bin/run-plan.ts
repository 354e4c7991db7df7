// What `kube-scenarios run [recipe|ID...]` runs: recipes name scenario files, recipe IDs name
// tests (matched by a test name pattern) and narrow the files to those that define them.
import { readFileSync, readdirSync } from 'node:fs'
import path from 'node:path'

export interface RunPlan {
  /** Scenario files to run (relative to the project root); empty means all. */
  files: string[]
  /** Matches the tests to run by their IDs; undefined runs every test of the files. */
  testNamePattern?: RegExp
}

const ID_SHAPE = /^[A-Z]{1,3}\d+[a-z]?$/
const TEST_IDS = /\btest(?:\.\w+)*\(\s*['"`]([A-Z]{1,3}\d+[a-z]?) /g
const SCENARIO_SUFFIX = '.test.ts'

/** Plans a run from the command's arguments against the scenario files in `scenariosDir`; a bad name fails, listing the good ones. */
export function planRun(args: readonly string[], scenariosDir: string): RunPlan {
  if (args.length === 0) return { files: [] }
  const idsByFile = scenarioIds(scenariosDir)
  const asked = args.filter((a) => ID_SHAPE.test(a))
  const recipes = args.filter((a) => !ID_SHAPE.test(a)).map((a) => recipeFile(a, idsByFile))
  const idFiles = asked.map((id) => {
    const file = [...idsByFile].find(([, ids]) => ids.includes(id))?.[0]
    if (!file) throw new Error(`no scenario test is named by ID ${id} (an ID is the first word of a test's name, e.g. S2)`)
    return file
  })
  const files = [...new Set([...recipes, ...idFiles])]
  const relative = files.map((f) => path.join(path.basename(scenariosDir), f))
  if (asked.length === 0) return { files: relative }
  // One pattern serves every file: a recipe asked for whole contributes all of its IDs.
  const ids = [...new Set([...asked, ...recipes.flatMap((f) => idsByFile.get(f) ?? [])])]
  return { files: relative, testNamePattern: new RegExp(`(?:^|\\s)(?:${ids.join('|')})(?:\\s|$)`) }
}

/** Scenario file -> the IDs its tests are named by (read from the source, without running it). */
function scenarioIds(dir: string): Map<string, string[]> {
  const files = readdirSync(dir).filter((f) => f.endsWith(SCENARIO_SUFFIX))
  return new Map(files.map((f) => [f, [...readFileSync(path.join(dir, f), 'utf8').matchAll(TEST_IDS)].map((m) => m[1]!)]))
}

function recipeFile(arg: string, idsByFile: Map<string, string[]>): string {
  const file = `${path.basename(arg).replace(/\.test\.ts$/, '')}${SCENARIO_SUFFIX}`
  if (!idsByFile.has(file)) {
    const known = [...idsByFile.keys()].map((f) => f.slice(0, -SCENARIO_SUFFIX.length))
    throw new Error(`unknown recipe "${arg}": choose from ${known.join(', ')}, or give test IDs such as S2`)
  }
  return file
}

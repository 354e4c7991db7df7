// What `kube-scenarios run [recipe|ID...]` runs: recipes name scenario files, recipe IDs name
// tests (matched by a test name pattern) and narrow the files to those that define them. A test
// that builds on earlier tests of its file (a rollback needs the revisions the tests before it
// made) says so on the line above it, `// builds on: U1 U2`; asking for it runs those first.
import { readFileSync, readdirSync } from 'node:fs'
import path from 'node:path'

export interface RunPlan {
  /** Scenario files to run (relative to the project root); empty means all. */
  files: string[]
  /** Matches the tests to run by their IDs; undefined runs every test of the files. */
  testNamePattern?: RegExp
  /** What the plan added and why ("U5 builds on U1, U2, U4: they run first"). */
  notes?: string[]
}

const ID_SHAPE = /^[A-Z]{1,3}\d+[a-z]?$/
// test('ID …', s.test.sequential('ID …', test.each(cases)('ID …'; optionally after a builds-on line.
const TEST_IDS = /(?:\/\/ builds on: ([A-Z0-9 ]+)\n\s*(?:\w+\.)?)?\btest(?:\.\w+(?:\(.*?\)\))?)*\(\s*['"`]([A-Z]{1,3}\d+[a-z]?) /g
const SCENARIO_SUFFIX = '.test.ts'

interface ScenarioFile {
  ids: string[]
  /** ID -> the IDs it builds on, as declared. */
  buildsOn: Map<string, string[]>
}

/** Plans a run from the command's arguments against the scenario files in `scenariosDir`; a bad name fails, listing the good ones. */
export function planRun(args: readonly string[], scenariosDir: string): RunPlan {
  if (args.length === 0) return { files: [] }
  const scenarioFiles = readScenarios(scenariosDir)
  const asked = args.filter((a) => ID_SHAPE.test(a))
  const recipes = args.filter((a) => !ID_SHAPE.test(a)).map((a) => recipeFile(a, scenarioFiles))
  const idFiles = asked.map((id) => {
    const file = [...scenarioFiles].find(([, f]) => f.ids.includes(id))?.[0]
    if (!file) throw new Error(`no scenario test is named by ID ${id} (an ID is the first word of a test's name, e.g. S2)`)
    return file
  })
  const files = [...new Set([...recipes, ...idFiles])]
  const relative = files.map((f) => path.join(path.basename(scenariosDir), f))
  if (asked.length === 0) return { files: relative }
  const notes: string[] = []
  const withPrerequisites = asked.flatMap((id, i) => {
    const needed = prerequisites(id, scenarioFiles.get(idFiles[i]!)!)
    if (needed.length) notes.push(`${id} builds on ${needed.join(', ')}: ${needed.length > 1 ? 'they run' : 'it runs'} first`)
    return [...needed, id]
  })
  // One pattern serves every file: a recipe asked for whole contributes all of its IDs.
  const ids = [...new Set([...withPrerequisites, ...recipes.flatMap((f) => scenarioFiles.get(f)?.ids ?? [])])]
  return { files: relative, testNamePattern: new RegExp(`(?:^|\\s)(?:${ids.join('|')})(?:\\s|$)`), ...(notes.length ? { notes } : {}) }
}

/** Every test `id` builds on, directly or through another, in file order. */
function prerequisites(id: string, file: ScenarioFile): string[] {
  const needed = new Set<string>()
  const visit = (current: string) => {
    for (const before of file.buildsOn.get(current) ?? []) {
      if (!file.ids.includes(before)) throw new Error(`${current} builds on ${before}, which its file does not define`)
      if (!needed.has(before)) {
        needed.add(before)
        visit(before)
      }
    }
  }
  visit(id)
  return file.ids.filter((i) => needed.has(i) && i !== id)
}

/** Scenario file -> its test IDs and what they build on (read from the source, without running it). */
function readScenarios(dir: string): Map<string, ScenarioFile> {
  const files = readdirSync(dir).filter((f) => f.endsWith(SCENARIO_SUFFIX))
  return new Map(
    files.map((f) => {
      const matches = [...readFileSync(path.join(dir, f), 'utf8').matchAll(TEST_IDS)]
      const buildsOn = new Map(matches.filter((m) => m[1]).map((m) => [m[2]!, m[1]!.trim().split(/\s+/)]))
      return [f, { ids: [...new Set(matches.map((m) => m[2]!))], buildsOn }]
    }),
  )
}

function recipeFile(arg: string, scenarioFiles: Map<string, ScenarioFile>): string {
  const file = `${path.basename(arg).replace(/\.test\.ts$/, '')}${SCENARIO_SUFFIX}`
  if (!scenarioFiles.has(file)) {
    const known = [...scenarioFiles.keys()].map((f) => f.slice(0, -SCENARIO_SUFFIX.length))
    throw new Error(`unknown recipe "${arg}": choose from ${known.join(', ')}, or give test IDs such as S2`)
  }
  return file
}

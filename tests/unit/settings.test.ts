// One definition of every setting (lib/config/settings.ts): parsed once from flags and environment,
// refused by name when bad, handed to vitest's workers through the environment and read back
// alike, and listed in the README's table and the CLI help from that one definition.
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { DEFAULT_TIMEOUTS, SETTINGS, parseRunSettings, runSettings, settingsTable, toEnv, type RunSettings } from '../../lib/config/settings.js'

const REPOSITORY = path.join(import.meta.dirname, '../..')
/** Settings whose default is decided elsewhere (kubectl's chain, the kubeconfig, PATH), so their documented default is prose. */
const DECIDED_ELSEWHERE = new Set(['kubeconfig', 'kubectlConfigs', 'context', 'history', 'ingressUrl', 'chromium'])

/** A parsed default as the help and the README write it. */
function shown(value: RunSettings[keyof RunSettings]): string {
  if (value === undefined) return 'none'
  if (typeof value === 'boolean') return value ? '1' : '0'
  if (typeof value === 'object' && !Array.isArray(value)) return Object.entries(value).map(([name, ms]) => `${name}=${(ms as number) / 1000}s`).join(',')
  if (typeof value === 'string' && path.isAbsolute(value)) return path.relative(REPOSITORY, value)
  return String(value)
}

const README = path.join(import.meta.dirname, '../../README.md')
const TABLE = /(<!-- settings:[^\n]*-->\n)([\s\S]*?)(<!-- \/settings -->)/

describe('run settings', () => {
  test('defaults: auto, one node, loopback, reports/, the default timeouts', () => {
    const settings = runSettings({})
    expect(settings).toMatchObject({ cluster: 'auto', nodes: 1, keepNamespaces: false, publishAddress: '127.0.0.1', reportDir: path.resolve('reports'), history: path.resolve('reports', 'history.jsonl'), keepReports: 20, dev: false })
    expect(settings.timeouts).toEqual(DEFAULT_TIMEOUTS)
  })

  test('a flag wins over its variable; a bad value is refused naming the flag or the variable', () => {
    expect(parseRunSettings({ cluster: 'local' }, { KUBE_SCENARIOS_CLUSTER: 'k3s' }).cluster).toBe('local')
    expect(parseRunSettings({}, { KUBE_SCENARIOS_CLUSTER: 'k3s' }).cluster).toBe('k3s')
    expect(() => parseRunSettings({ cluster: 'minikube' })).toThrow('--cluster must be one of auto, k3s, local, kubeconfig, not "minikube"')
    expect(() => runSettings({ KUBE_SCENARIOS_NODES: 'two' })).toThrow('KUBE_SCENARIOS_NODES must be a positive whole number, not "two"')
    expect(() => parseRunSettings({ nodes: '0' })).toThrow('--nodes must be a positive whole number, not "0"')
    expect(() => parseRunSettings({ shard: '3/2' })).toThrow(/--shard must be INDEX\/COUNT/)
    expect(() => runSettings({ KUBE_SCENARIOS_KEEP_NAMESPACES: 'yes' })).toThrow('KUBE_SCENARIOS_KEEP_NAMESPACES must be 1 or 0, not "yes"')
    expect(() => runSettings({ KUBE_SCENARIOS_TIMEOUTS: 'wait=soon' })).toThrow(/KUBE_SCENARIOS_TIMEOUTS must be NAME=DURATION pairs, DURATION like 90s/)
    expect(() => runSettings({ KUBE_SCENARIOS_TIMEOUTS: 'forever=1s' })).toThrow(/NAME one of wait, retry, nodeStart, clusterReady, namespaceGone, exec, kubectl, http, podFetch, watchHistory, request, scenario, browser, forensics \("forever" is none\)/)
  })

  test('timeouts: each named one replaced, the others kept', () => {
    expect(runSettings({ KUBE_SCENARIOS_TIMEOUTS: 'wait=3m, clusterReady=300s,retry=1500ms' }).timeouts).toEqual({ ...DEFAULT_TIMEOUTS, wait: 180_000, clusterReady: 300_000, retry: 1500 })
  })

  test('what toEnv writes for the workers, runSettings reads back the same', () => {
    const settings = parseRunSettings({ cluster: 'kubeconfig', kubeconfig: '/tmp/k', nodes: '3', 'keep-namespaces': true, report: '/tmp/r', shard: '1/2' }, { KUBE_SCENARIOS_TIMEOUTS: 'wait=90s' })
    expect(runSettings(toEnv(settings))).toEqual({ ...settings, kubectlConfigs: undefined })
  })

  // It starts the CLI (TypeScript loaded): more than vitest's default 5 s on a busy machine.
  test('the help `kube-scenarios help` prints gives every setting its flag and the default a run without it gets', { timeout: 60_000 }, () => {
    const help = spawnSync(process.execPath, ['bin/kube-scenarios.mjs', 'help'], { cwd: REPOSITORY, encoding: 'utf8', timeout: 60_000 })
    expect(help.status, help.stderr).toBe(0)
    // Parsed here, not read from the definition's text: a default changed in one place only shows.
    const defaults = runSettings({})
    for (const setting of SETTINGS) {
      const line = help.stdout.split('\n').find((l) => l.trimStart().startsWith(`${setting.env} `))
      expect(line, `${setting.env} is in the help`).toBeDefined()
      if (setting.flag) expect(line, `${setting.env}'s flag`).toContain(`--${setting.flag}: `)
      const documented = /\(default ([^)]*)\)$/.exec(line!)?.[1]
      if (!DECIDED_ELSEWHERE.has(setting.key)) expect(documented, `${setting.env}'s documented default`).toBe(shown(defaults[setting.key]))
    }
  })

  test("the README's table is generated from the one definition", () => {
    const readme = readFileSync(README, 'utf8')
    const table = `${settingsTable()}\n`
    if (process.env.UPDATE_README) writeFileSync(README, readme.replace(TABLE, (_all, open: string, _old, close: string) => `${open}${table}${close}`))
    const current = TABLE.exec(readFileSync(README, 'utf8'))?.[2]
    expect(current, 'README.md: the settings table differs from lib/config/settings.ts (UPDATE_README=1 npx vitest run tests/unit/settings.test.ts rewrites it)').toBe(table)
  })
})

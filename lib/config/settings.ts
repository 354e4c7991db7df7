// Every setting of a run, defined once (SETTINGS): the variable that carries it, the flag that
// sets it, its default, its check and its line in the README's table. parseRunSettings reads
// flags and environment once and refuses a bad value naming the flag or the variable. The
// environment is only the bridge into vitest's workers and child processes: toEnv writes it,
// runSettings reads it back. Nothing else reads process.env for a setting.
import { isIP } from 'node:net'
import path from 'node:path'
import { DEFAULT_K3S_IMAGE } from '#images/lib/cluster-constants.mjs'

export const CLUSTER_CHOICES = ['auto', 'k3s', 'local', 'kubeconfig'] as const
export type ClusterChoice = (typeof CLUSTER_CHOICES)[number]

/** How long the harness waits for each kind of thing (ms); per call, a call's own timeoutMs wins. */
export interface Timeouts {
  /** A waitFor on the API (watch with a deadline). */
  wait: number
  /** A retryUntil (HTTP answers, metrics, logs: what cannot be watched). */
  retry: number
  /** A node container's start (its entry point says it is up). */
  nodeStart: number
  /** Nodes Ready and the add-ons the chapter needs at once rolled out. */
  clusterReady: number
  /** A scenario file's namespace emptied of pods after the file. */
  namespaceGone: number
  /** One command run in a pod's container (exec). */
  exec: number
  /** One run of the cluster's own kubectl. */
  kubectl: number
  /** One HTTP request from the test process (httpGet, each request of an HTTP load). */
  http: number
  /** One fetch from inside a pod (fetchFromPod: wget's own limit, in whole seconds). */
  podFetch: number
  /** A WatchHistory.until. */
  watchHistory: number
  /** One API request that only informs (the report's node list, the node images an image-pull remedy consults). */
  request: number
  /** A scenario test or hook as a whole (vitest's testTimeout and hookTimeout); its waits carry tighter deadlines. */
  scenario: number
  /** One headless Chromium rendering of `report --check`. */
  browser: number
  /** Collecting a failed test's forensics (namespace, logs, nodes, component logs) into the report folder. */
  forensics: number
}

/**
 * Published ports (API, NodePorts, Ingress) listen on loopback unless told otherwise: a cluster
 * held by `up` must not be an anonymous API with open test apps on the machine's network (kind
 * publishes its API on 127.0.0.1 for this reason). KUBE_SCENARIOS_PUBLISH_ADDRESS opens them deliberately.
 */
export const DEFAULT_PUBLISH_ADDRESS = '127.0.0.1'

export const DEFAULT_TIMEOUTS: Timeouts = {
  wait: 120_000,
  retry: 60_000,
  nodeStart: 180_000,
  clusterReady: 180_000,
  namespaceGone: 180_000,
  exec: 30_000,
  kubectl: 60_000,
  http: 5_000,
  podFetch: 3_000,
  watchHistory: 120_000,
  request: 5_000,
  scenario: 15 * 60_000,
  browser: 120_000,
  forensics: 10_000,
}

type Raw = string | boolean | undefined

interface Setting<K extends string, T> {
  key: K
  env: string
  /** The command-line flag that sets it (run and soak take every one; up and conformance the ones they need). */
  flag?: string
  /** The flag takes no value. */
  switch?: true
  /** The README table's default column. */
  defaultText: string
  doc: string
  /** Checks and converts; `name` is the flag or variable the value came from; `parsed` holds the settings before it. */
  parse(raw: Raw, name: string, parsed: { reportDir?: string }): T
}

const text = (raw: Raw): string | undefined => (raw === undefined || raw === '' || typeof raw === 'boolean' ? undefined : raw)
const absolute = (raw: Raw) => {
  const value = text(raw)
  return value === undefined ? undefined : path.resolve(value)
}

function positiveWhole(raw: Raw, name: string, fallback: number): number {
  const value = text(raw)
  if (value === undefined) return fallback
  if (!/^[1-9]\d*$/.test(value)) throw new SettingError(name, value, 'a positive whole number')
  return Number(value)
}

function flagOrSwitch(raw: Raw, name: string): boolean {
  if (raw === undefined || raw === '' || raw === false) return false
  if (raw === true || raw === '1' || raw === 'true') return true
  if (raw === '0' || raw === 'false') return false
  throw new SettingError(name, String(raw), '1 or 0')
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m)$/
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000 }

/** `wait=3m,clusterReady=300s`: each named timeout replaced. */
function parseTimeouts(raw: Raw, name: string): Timeouts {
  const value = text(raw)
  if (value === undefined) return { ...DEFAULT_TIMEOUTS }
  const timeouts = { ...DEFAULT_TIMEOUTS }
  for (const part of value.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [key = '', duration = ''] = part.split('=')
    if (!(key in DEFAULT_TIMEOUTS)) throw new SettingError(name, value, `NAME=DURATION pairs with NAME one of ${Object.keys(DEFAULT_TIMEOUTS).join(', ')} ("${key}" is none)`)
    const match = DURATION.exec(duration)
    if (!match) throw new SettingError(name, value, `NAME=DURATION pairs, DURATION like 90s, 3m or 500ms ("${duration}" is not)`)
    timeouts[key as keyof Timeouts] = Math.round(Number(match[1]) * UNIT_MS[match[2]!]!)
  }
  return timeouts
}

/** "2/3" -> { index: 2, count: 3 }; vitest's own --shard syntax. `name` is the flag or variable it came from. */
/** One of the parts a run's files are split into (a CI runner each). */
export interface ShardOf {
  /** 1-based. */
  index: number
  count: number
}

export function parseShard(value: string, name = '--shard'): ShardOf {
  const match = /^(\d+)\/(\d+)$/.exec(value)
  const [index, count] = match ? [Number(match[1]), Number(match[2])] : [NaN, NaN]
  if (!match || count < 1 || index < 1 || index > count) throw new SettingError(name, value, 'INDEX/COUNT with 1 <= INDEX <= COUNT (e.g. 1/2)')
  return { index, count }
}

export class SettingError extends Error {
  constructor(name: string, value: string, expected: string) {
    super(`${name} must be ${expected}, not "${value}"`)
    this.name = 'SettingError'
  }
}

function define<K extends string, T>(setting: Setting<K, T>): Setting<K, T> {
  return setting
}

/** Every setting, in the README table's order: adding one here adds it to RunSettings, the CLI help, the README's table and the workers. */
export const SETTINGS = [
  define({
    key: 'cluster', env: 'KUBE_SCENARIOS_CLUSTER', flag: 'cluster', defaultText: 'auto',
    doc: 'the cluster provider: auto, k3s, local (the offline cluster) or kubeconfig (borrow one)',
    parse: (raw, name): ClusterChoice => {
      const value = text(raw) ?? 'auto'
      if (!(CLUSTER_CHOICES as readonly string[]).includes(value)) throw new SettingError(name, value, `one of ${CLUSTER_CHOICES.join(', ')}`)
      return value as ClusterChoice
    },
  }),
  define({ key: 'nodes', env: 'KUBE_SCENARIOS_NODES', flag: 'nodes', defaultText: '1', doc: 'nodes to start with (scenarios that need more grow the cluster)', parse: (raw, name) => positiveWhole(raw, name, 1) }),
  define({ key: 'kubeconfig', env: 'KUBE_SCENARIOS_KUBECONFIG', flag: 'kubeconfig', defaultText: '`KUBECONFIG`, else ~/.kube/config', doc: 'the kubeconfig of a cluster to borrow', parse: absolute }),
  define({
    key: 'kubectlConfigs', env: 'KUBECONFIG', defaultText: '~/.kube/config', doc: "kubectl's own: the kubeconfig used when `KUBE_SCENARIOS_KUBECONFIG` is not set",
    parse: (raw) => text(raw)?.split(path.delimiter).filter(Boolean),
  }),
  define({ key: 'context', env: 'KUBE_SCENARIOS_CONTEXT', defaultText: "the kubeconfig's current", doc: 'the context of that kubeconfig', parse: text }),
  define({ key: 'keepNamespaces', env: 'KUBE_SCENARIOS_KEEP_NAMESPACES', flag: 'keep-namespaces', switch: true, defaultText: '0', doc: "1: keep each file's namespace for debugging", parse: flagOrSwitch }),
  define({ key: 'strict', env: 'KUBE_SCENARIOS_STRICT', flag: 'strict', switch: true, defaultText: '0', doc: '1: an undecided test (a claim what was observed could not decide) fails the run (exit code 1)', parse: flagOrSwitch }),
  define({ key: 'reportDir', env: 'KUBE_SCENARIOS_REPORT_DIR', flag: 'report', defaultText: 'reports', doc: 'where run folders, `latest` and the history go', parse: (raw) => path.resolve(text(raw) ?? 'reports') }),
  define({ key: 'history', env: 'KUBE_SCENARIOS_HISTORY', defaultText: '<report dir>/history.jsonl', doc: 'the run history (one line per run)', parse: (raw, _name, parsed) => path.resolve(text(raw) ?? path.join(parsed.reportDir ?? 'reports', 'history.jsonl')) }),
  define({ key: 'keepReports', env: 'KUBE_SCENARIOS_KEEP_REPORTS', defaultText: '20', doc: 'run folders kept (older ones are deleted; the history keeps every run)', parse: (raw, name) => positiveWhole(raw, name, 20) }),
  define({
    key: 'shard', env: 'KUBE_SCENARIOS_SHARD', flag: 'shard', defaultText: 'none', doc: 'INDEX/COUNT: this run takes the INDEX-th of COUNT parts of the files',
    parse: (raw, name) => {
      const value = text(raw)
      if (value !== undefined) parseShard(value, name)
      return value
    },
  }),
  define({ key: 'imageOverrides', env: 'KUBE_SCENARIOS_IMAGE_OVERRIDES', defaultText: 'none', doc: 'a JSON map (or the manifest `npm run images` writes) of images a borrowed cluster runs instead', parse: absolute }),
  define({ key: 'ingressUrl', env: 'KUBE_SCENARIOS_INGRESS_URL', defaultText: "the held cluster's", doc: "a borrowed cluster's Ingress controller HTTP entry", parse: text }),
  define({ key: 'k3sImage', env: 'KUBE_SCENARIOS_K3S_IMAGE', defaultText: DEFAULT_K3S_IMAGE, doc: 'the k3s image', parse: (raw) => text(raw) ?? DEFAULT_K3S_IMAGE }),
  define({
    key: 'publishAddress', env: 'KUBE_SCENARIOS_PUBLISH_ADDRESS', defaultText: '127.0.0.1', doc: 'where published ports listen (0.0.0.0: every interface)',
    parse: (raw, name) => {
      const value = text(raw)
      if (value === undefined) return DEFAULT_PUBLISH_ADDRESS
      if (!isIP(value)) throw new SettingError(name, value, 'an IP address of this machine (0.0.0.0 for every interface)')
      return value
    },
  }),
  define({ key: 'fixtures', env: 'KUBE_SCENARIOS_FIXTURES', defaultText: 'fixtures', doc: 'the folder fixture paths are relative to', parse: (raw) => path.resolve(text(raw) ?? 'fixtures') }),
  define({ key: 'chromium', env: 'KUBE_SCENARIOS_CHROMIUM', defaultText: 'found on PATH', doc: 'the Chromium `report --check` renders with', parse: text }),
  define({ key: 'dev', env: 'KUBE_SCENARIOS_DEV', defaultText: '0', doc: 'set by `kube-scenarios dev`: namespaces deleted without waiting', parse: flagOrSwitch }),
  define({
    key: 'timeouts', env: 'KUBE_SCENARIOS_TIMEOUTS', defaultText: Object.entries(DEFAULT_TIMEOUTS).map(([k, ms]) => `${k}=${ms / 1000}s`).join(','), doc: 'NAME=DURATION pairs replacing the default timeouts',
    parse: parseTimeouts,
  }),
] as const

type SettingEntry = (typeof SETTINGS)[number]

/** A run's settings, one field per entry of SETTINGS (its key, its parsed type). */
export type RunSettings = { [S in SettingEntry as S['key']]: ReturnType<S['parse']> }

/** The flags a command took, keyed by flag name without dashes. */
export type SettingFlags = { readonly [flag: string]: Raw }

/** The settings a command-line flag sets (the CLI gives run and soak every one, with its help text). */
export function settingFlags(): Array<Pick<Setting<string, unknown>, 'env' | 'switch' | 'doc' | 'defaultText'> & { flag: string }> {
  return (SETTINGS as readonly Setting<string, unknown>[]).flatMap((s) => (s.flag ? [{ ...s, flag: s.flag }] : []))
}

/** Flags win over the environment; every value checked and defaulted once. */
export function parseRunSettings(flags: SettingFlags | object = {}, env: NodeJS.ProcessEnv = process.env): RunSettings {
  const given = flags as SettingFlags
  const settings: Record<string, unknown> = {}
  for (const setting of SETTINGS as readonly Setting<string, unknown>[]) {
    const fromFlag = setting.flag !== undefined && given[setting.flag] !== undefined
    const raw = fromFlag ? given[setting.flag!] : env[setting.env]
    settings[setting.key] = setting.parse(raw, fromFlag ? `--${setting.flag}` : setting.env, settings as { reportDir?: string })
  }
  return settings as RunSettings
}

/** The settings as of this process's environment (what a vitest worker or a child process was handed). */
export function runSettings(env: NodeJS.ProcessEnv = process.env): RunSettings {
  return parseRunSettings({}, env)
}

/** The variables that hand `settings` to vitest's workers and child processes (unset ones are left out). */
export function toEnv(settings: Partial<RunSettings>): Record<string, string> {
  const env: Record<string, string> = {}
  for (const setting of SETTINGS) {
    const value = settings[setting.key]
    if (value === undefined || setting.key === 'kubectlConfigs') continue
    if (setting.key === 'timeouts') env[setting.env] = Object.entries(value as Timeouts).map(([k, ms]) => `${k}=${ms}ms`).join(',')
    else if (typeof value === 'boolean') env[setting.env] = value ? '1' : '0'
    else env[setting.env] = String(value)
  }
  return env
}

/** Puts `settings` into this process's environment, for the workers it starts. */
export function exportSettings(settings: Partial<RunSettings>): void {
  Object.assign(process.env, toEnv(settings))
}

/** This process's environment with `extra` on top, for a child process (kubectl, a build). */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...extra }
}

/**
 * testcontainers reads its own settings from the environment: Ryuk's image cannot be pulled
 * where the offline cluster runs, and the run's reaper removes what Ryuk would have removed.
 */
export function disableRyuk(): void {
  process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true'
}

/** The README's settings table, generated from SETTINGS (a unit test keeps the README's copy equal). */
export function settingsTable(): string {
  const rows = SETTINGS.map((s) => `| \`${s.env}\` | ${s.flag ? `\`--${s.flag}\`` : ''} | ${s.defaultText.includes('`') || s.defaultText.includes(' ') ? s.defaultText : `\`${s.defaultText}\``} | ${s.doc} |`)
  return ['| Variable | Flag | Default | What |', '| --- | --- | --- | --- |', ...rows].join('\n')
}

/** The CLI help's settings section, generated from SETTINGS. */
export function settingsHelp(): string {
  return SETTINGS.map((s) => `  ${s.env.padEnd(32)}${s.flag ? `--${s.flag}: ` : ''}${s.doc.replaceAll('`', '')} (default ${s.defaultText.replaceAll('`', '')})`).join('\n')
}

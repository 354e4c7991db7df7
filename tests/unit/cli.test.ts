// The command line: every command answers --help and -h with its own usage, options and example,
// and does nothing else; typos get "did you mean"; completion scripts come from the same tree.
import { spawnSync } from 'node:child_process'
import { afterEach, describe, expect, test, vi } from 'vitest'
import { buildProgram, main } from '../../bin/cli.js'
import { SETTINGS } from '../../lib/config/settings.js'

/** What main printed on stdout and stderr, and its exit code. */
async function cli(...argv: string[]) {
  let out = ''
  let err = ''
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((out += String(chunk)), true))
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((err += String(chunk)), true))
  const code = await main(argv)
  vi.restoreAllMocks()
  return { code, out, err }
}

afterEach(() => vi.restoreAllMocks())

const COMMANDS = buildProgram(() => undefined).commands.map((c) => c.name())

describe('kube-scenarios command line', () => {
  test('has every command, bench and completion included', () => {
    expect(COMMANDS).toEqual(['run', 'soak', 'conformance', 'bench', 'init', 'up', 'down', 'load', 'collect', 'dev', 'kubectl', 'report', 'clean', 'completion'])
  })

  test.each(COMMANDS.flatMap((name) => [[name, '--help'], [name, '-h']]))('%s %s prints its usage, options and an example, exit 0, and does no work', async (name, flag) => {
    const started = Date.now()
    const { code, out, err } = await cli(name, flag)
    expect({ code, err }).toEqual({ code: 0, err: '' })
    expect(out).toMatch(new RegExp(`^Usage: kube-scenarios ${name}\\b`))
    expect(out).toContain('Options:')
    expect(out).toMatch(/\nExamples?:\n {2}\$ /)
    // bench and run would take minutes; help returns at once.
    expect(Date.now() - started).toBeLessThan(2000)
  })

  test("run's help lists every setting that has a flag, with its variable", async () => {
    const { out } = await cli('run', '--help')
    for (const setting of SETTINGS.filter((s) => 'flag' in s && s.flag)) {
      expect(out).toContain(`--${(setting as { flag: string }).flag}`)
      expect(out).toContain(setting.env)
    }
  })

  test('a misspelt command or option gets "did you mean", exit 2', async () => {
    const command = await cli('rnu')
    expect(command.code).toBe(2)
    expect(command.err).toContain('(Did you mean run?)')
    const option = await cli('run', '--clutser', 'local')
    expect(option.code).toBe(2)
    expect(option.err).toContain('(Did you mean --cluster?)')
  })

  test('no command prints the overview with every command and setting, exit 2', async () => {
    const { code, err } = await cli()
    expect(code).toBe(2)
    for (const name of COMMANDS) expect(err).toContain(name)
    for (const setting of SETTINGS) expect(err).toContain(setting.env)
  })

  test.each(['bash', 'zsh', 'fish'])('completion %s names every command and their options', async (shell) => {
    const { code, out } = await cli('completion', shell)
    expect(code).toBe(0)
    for (const name of COMMANDS) expect(out).toContain(name)
    // fish names long options without their dashes (-l keep-namespaces).
    expect(out).toContain('keep-namespaces')
    expect(out).toContain('kubeconfig-out')
  })

  test('the bash completion script completes commands and a command\'s options in bash itself', async () => {
    const { out } = await cli('completion', 'bash')
    const complete = (words: string[]) =>
      spawnSync('bash', ['-c', `${out}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _kube_scenarios; echo "\${COMPREPLY[*]}"`], { encoding: 'utf8' }).stdout.trim()
    expect(complete(['kube-scenarios', 'co'])).toBe('conformance collect completion')
    expect(complete(['kube-scenarios', 'up', '--no'])).toBe('--nodes')
  })

  test('completion refuses an unknown shell, naming the ones it knows', async () => {
    const { code, err } = await cli('completion', 'powershell')
    expect(code).toBe(1)
    expect(err).toContain('completion takes bash, zsh, fish, not "powershell"')
  })
})

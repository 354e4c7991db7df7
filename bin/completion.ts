// Shell completion scripts, generated from the command tree the CLI defines (one definition of
// every command and option): commands after `kube-scenarios`, each command's options after it.
import type { Command } from 'commander'

const SHELLS = ['bash', 'zsh', 'fish'] as const

export function completionScript(program: Command, shell: string): string {
  if (!(SHELLS as readonly string[]).includes(shell)) throw new Error(`completion takes ${SHELLS.join(', ')}, not "${shell}"`)
  const name = program.name()
  const commands = program.commands.map((command) => ({
    name: command.name(),
    about: command.description().split(/[.:;(] /)[0]!.replaceAll("'", ''),
    options: [...command.options.map((o) => o.long!).filter(Boolean), '--help'],
  }))
  const fn = `_${name.replaceAll('-', '_')}`
  if (shell === 'fish') {
    return [
      `# fish completion for ${name}: ${name} completion fish > ~/.config/fish/completions/${name}.fish`,
      `complete -c ${name} -f`,
      ...commands.map((c) => `complete -c ${name} -n '__fish_use_subcommand' -a ${c.name} -d '${c.about}'`),
      ...commands.flatMap((c) => c.options.map((o) => `complete -c ${name} -n '__fish_seen_subcommand_from ${c.name}' -l ${o.slice(2)}`)),
      '',
    ].join('\n')
  }
  const cases = commands.map((c) => `    ${c.name}) options='${c.options.join(' ')}' ;;`).join('\n')
  const bash = [
    `${fn}() {`,
    '  local current="${COMP_WORDS[COMP_CWORD]}"',
    '  if [ "$COMP_CWORD" -eq 1 ]; then',
    `    COMPREPLY=($(compgen -W '${commands.map((c) => c.name).join(' ')}' -- "$current"))`,
    '    return',
    '  fi',
    '  local options=',
    '  case "${COMP_WORDS[1]}" in',
    cases,
    '  esac',
    '  if [[ "$current" == -* ]]; then COMPREPLY=($(compgen -W "$options" -- "$current")); else COMPREPLY=($(compgen -f -- "$current")); fi',
    '}',
  ]
  if (shell === 'bash') return [`# bash completion for ${name}: source <(${name} completion bash)`, ...bash, `complete -F ${fn} ${name}`, ''].join('\n')
  // zsh runs the bash function through its bashcompinit layer.
  return [`# zsh completion for ${name}: source <(${name} completion zsh)`, 'autoload -U +X bashcompinit && bashcompinit', ...bash, `complete -F ${fn} ${name}`, ''].join('\n')
}

// The Node.js lines kube-scenarios runs on are package.json's `engines` (one definition). Checked
// by the CLI and the vitest preset before any dependency loads: on an older Node those crash deep
// inside undici or testcontainers with a stack trace that names neither version.
import { readFileSync } from 'node:fs'

/**
 * The lowest supported version, from package.json's `engines.node` (">=MAJOR.MINOR[.PATCH]").
 * @param {string} packageJsonFile kube-scenarios' own package.json
 */
export function requiredNode(packageJsonFile) {
  const range = JSON.parse(readFileSync(packageJsonFile, 'utf8')).engines?.node ?? ''
  const match = /^>=\s*(\d+)\.(\d+)(?:\.(\d+))?$/.exec(range.trim())
  if (!match) throw new Error(`${packageJsonFile}: engines.node must read ">=MAJOR.MINOR", found ${JSON.stringify(range)}`)
  return { range, minimum: [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)] }
}

/**
 * The one line to print when `version` is older than the supported range, else undefined.
 * @param {string} version e.g. process.versions.node
 * @param {{ range: string, minimum: number[] }} required
 */
export function unsupportedNodeLine(version, required) {
  const found = version.split('.').map(Number)
  for (let i = 0; i < 3; i++) {
    const have = found[i] ?? 0
    const need = required.minimum[i] ?? 0
    if (have > need) return undefined
    if (have < need) {
      return `kube-scenarios needs Node.js ${required.range}; this is Node.js ${version} (${process.execPath}). ` +
        'Install Node 24 LTS (https://nodejs.org, or `nvm install 24`), or pin it in your project with `npm install --save-dev node@24`, and run again.'
    }
  }
  return undefined
}

/**
 * Stops the process with that line (exit code 1) on an unsupported Node.
 * @param {string} packageJsonFile kube-scenarios' own package.json
 */
export function exitUnlessSupportedNode(packageJsonFile) {
  const line = unsupportedNodeLine(process.versions.node, requiredNode(packageJsonFile))
  if (!line) return
  process.stderr.write(`${line}\n`)
  process.exit(1)
}

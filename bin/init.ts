// `kube-scenarios init [dir]`: a project a person can run at once — the vitest preset, an example
// scenario with its fixture, and the test scripts in package.json. Existing files are never
// overwritten (the refusal names them) unless --force; package.json only gains what it lacks.
import { cpSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { BASE_IMAGES } from '#images/lib/cluster-constants.mjs'
import { PACKAGE_ROOT } from '../lib/config/package-root.js'

const TEMPLATE_DIR = path.join(PACKAGE_ROOT, 'templates', 'project')
// build:app takes the offline build's busybox where Docker has no busybox:1.36 and cannot pull it.
const SCRIPTS = {
  test: 'vitest run',
  scenarios: 'vitest run --project scenarios',
  'build:app': `docker build --build-arg BASE=$(docker image inspect busybox:1.36 >/dev/null 2>&1 || ! docker image inspect ${BASE_IMAGES.busybox} >/dev/null 2>&1 && echo busybox:1.36 || echo ${BASE_IMAGES.busybox}) -t example-app:dev app`,
}
/** What `npm init` writes as the test script: a placeholder, not a script of the user's. */
const NPM_PLACEHOLDER_TEST = /^echo "Error: no test specified" && exit 1$/

export interface InitOptions {
  force?: boolean
  log?: (line: string) => void
}

/** Files of the template, relative to it. */
function templateFiles(dir = TEMPLATE_DIR, prefix = ''): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const relative = path.join(prefix, entry)
    return statSync(path.join(dir, entry)).isDirectory() ? templateFiles(path.join(dir, entry), relative) : [relative]
  })
}

export function init(target: string, options: InitOptions = {}): string[] {
  const log = options.log ?? console.log
  const files = templateFiles()
  const existing = files.filter((f) => existsSync(path.join(target, f)))
  if (existing.length && !options.force) {
    throw new Error(`${target} already has ${existing.join(', ')}; nothing was written (--force overwrites them)`)
  }
  const written = [...files]
  for (const file of files) cpSync(path.join(TEMPLATE_DIR, file), path.join(target, file))
  const manifestFile = path.join(target, 'package.json')
  const manifest = existsSync(manifestFile)
    ? (JSON.parse(readFileSync(manifestFile, 'utf8')) as Record<string, unknown>)
    : { name: path.basename(path.resolve(target)), private: true }
  const scripts = { ...((manifest.scripts as Record<string, string>) ?? {}) }
  const ours = (name: string, command: string | undefined) => command === undefined || command === SCRIPTS[name as keyof typeof SCRIPTS] || (name === 'test' && NPM_PLACEHOLDER_TEST.test(command))
  const kept = Object.keys(SCRIPTS).filter((name) => !ours(name, scripts[name]) && !options.force)
  for (const [name, command] of Object.entries(SCRIPTS)) if (!kept.includes(name)) scripts[name] = command
  writeFileSync(manifestFile, `${JSON.stringify({ ...manifest, scripts }, null, 2)}\n`)
  written.push('package.json')
  for (const file of written) log(`  ${file}`)
  if (kept.length) log(`kept your package.json scripts ${kept.join(', ')} (kube-scenarios would set ${kept.map((k) => `${k}: "${SCRIPTS[k as keyof typeof SCRIPTS]}"`).join(', ')})`)
  log(`next: npm install --save-dev kube-scenarios vitest (if not yet installed), npm run build:app (your app's image: app/), then npm test`)
  return written
}

#!/usr/bin/env node
// Entry of the kube-scenarios command. Installed, it runs the compiled CLI (dist/; the package
// ships no TypeScript). In its own repository it always runs the sources, never a dist/ left by
// packing: vitest's module runner loads bin/cli.ts (transformed on the fly, no build step; Node's
// own type stripping would need .ts import specifiers throughout) and runs its main().
import { existsSync } from 'node:fs'
import path from 'node:path'

const root = path.resolve(import.meta.dirname, '..')
const source = path.join(root, 'bin', 'cli.ts')
const compiled = path.join(root, 'dist', 'bin', 'cli.js')
const inRepository = existsSync(source)
// Before any dependency loads: on an unsupported Node they crash with stack traces.
const { exitUnlessSupportedNode } = await import(path.join(root, inRepository ? 'lib/config' : 'dist/lib/config', 'supported-node.mjs'))
exitUnlessSupportedNode(path.join(root, 'package.json'))
let code = 1
if (!inRepository) {
  const { main } = await import(compiled)
  code = await main(process.argv.slice(2))
} else {
  const { createVitest } = await import('vitest/node')
  // A bare instance (no config, no projects): it only serves as the TypeScript loader.
  const loader = await createVitest({ config: false, watch: false, root }, { logLevel: 'silent' })
  try {
    const { main } = await loader.import(path.join(root, 'bin', 'cli.ts'))
    code = await main(process.argv.slice(2))
  } finally {
    await loader.close()
  }
}
process.exit(code)

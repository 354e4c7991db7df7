#!/usr/bin/env node
// Entry of the kube-scenarios command. Node 20 cannot run the TypeScript harness itself: vitest's
// module runner loads bin/cli.ts (transformed on the fly, no build step) and runs its main().
import path from 'node:path'
import { createVitest } from 'vitest/node'

const root = path.resolve(import.meta.dirname, '..')
// A bare instance (no config, no projects): it only serves as the TypeScript loader.
const loader = await createVitest('test', { config: false, watch: false, root }, { logLevel: 'silent' })
let code = 1
try {
  const { main } = await loader.import(path.join(root, 'bin', 'cli.ts'))
  code = await main(process.argv.slice(2))
} finally {
  await loader.close()
}
process.exit(code)

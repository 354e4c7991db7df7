#!/usr/bin/env node
// Builds what the package ships (npm pack runs it): the harness compiled to dist/ with type
// declarations (lib's plain-JavaScript files, such as the reaper, are emitted beside it). `--clean` removes dist/ again (after packing), so a checkout
// never runs stale compiled code.
import { execFileSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import path from 'node:path'

const root = path.resolve(import.meta.dirname, '..')
const dist = path.join(root, 'dist')
rmSync(dist, { recursive: true, force: true })
if (!process.argv.includes('--clean')) {
  execFileSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' })
}

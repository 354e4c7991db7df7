// Where kube-scenarios itself is installed: this repository, or node_modules/kube-scenarios in a
// user's project (the compiled files then live one folder deeper, under dist/). The offline
// build scripts (images/) and the harness's own vitest files are found from here.
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'

function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json')
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'kube-scenarios') return dir
    if (path.dirname(dir) === dir) throw new Error(`kube-scenarios: no package.json of kube-scenarios above ${from}`)
  }
}

export const PACKAGE_ROOT = findPackageRoot(import.meta.dirname)
export const IMAGES_DIR = path.join(PACKAGE_ROOT, 'images')

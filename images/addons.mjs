// The cluster's add-ons: one manifest file each in images/addons/ (its header names the upstream
// manifest and what we changed), rendered with its placeholders filled in as its own cached step,
// so a change to one add-on rebuilds that add-on only. The node applies them in file name order.
import { readFile, readdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { IMAGES_DIR, cachedStep } from './lib/cache.mjs'
import { CONSTANTS_FILE, fillPlaceholders } from './lib/placeholders.mjs'

/** @typedef {import('./lib/progress.mjs').Log} Log */

const ADDONS_DIR = path.join(IMAGES_DIR, 'addons')

/**
 * @param {{ images: Record<string, string>, log: Log }} opts
 *   images: pod image name -> local reference (what @image:NAME@ stands for)
 * @returns {Promise<string[]>} the rendered manifests, in the order the node applies them
 */
export async function renderAddons({ images, log }) {
  const files = (await readdir(ADDONS_DIR)).filter((f) => f.endsWith('.yaml')).sort()
  const rendered = []
  for (const file of files) {
    const source = path.join(ADDONS_DIR, file)
    const text = await readFile(source, 'utf8')
    const refs = [...text.matchAll(/@image:([\w.-]+)@/g)].map((m) => images[/** @type {string} */ (m[1])] ?? m[1])
    const { outDir, cached } = await cachedStep(`addon-${path.basename(file, '.yaml')}`, [source, CONSTANTS_FILE, refs], async (out) => {
      await writeFile(path.join(out, file), fillPlaceholders(`images/addons/${file}`, text, { images }))
    })
    log(`add-on ${file}: ${cached ? 'cached' : 'built'}`)
    rendered.push(path.join(outDir, file))
  }
  return rendered
}

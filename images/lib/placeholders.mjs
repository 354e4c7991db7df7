// Node config files and add-on manifests name the values other layers share as @NAME@ (from
// cluster-constants.mjs) and pod images as @image:NAME@; the build fills them in.
import * as constants from './cluster-constants.mjs'

export const CONSTANTS_FILE = new URL('./cluster-constants.mjs', import.meta.url).pathname

// TypeScript importers read placeholders.d.mts instead of this file: fillPlaceholders takes its
// type from there, so a mismatch fails the check.
/**
 * @type {typeof import('./placeholders.d.mts').fillPlaceholders}
 * @param origin the file, for errors
 * @param text
 * @param [more]
 *   images: pod image name -> its local reference; values: a file's own placeholders (e.g. a version)
 */
export function fillPlaceholders(origin, text, { images = {}, values = {} } = {}) {
  return text.replace(/@(image:)?([\w.-]+)@/g, /** @type {(match: string, image: string | undefined, name: string) => string} */ (_, image, name) => {
    const value = image ? images[name] : (values[name] ?? /** @type {Record<string, unknown>} */ (constants)[name])
    if (value === undefined) throw new Error(`${origin}: @${image ?? ''}${name}@ names ${image ? 'no pod image of images/cluster-images.mjs' : 'nothing in images/lib/cluster-constants.mjs'}`)
    return String(value)
  })
}

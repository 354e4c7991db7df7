// Where the offline cluster's build keeps its outputs, shared by the build scripts and the
// harness's `local` provider (which reads the manifest the build writes).
import { homedir } from 'node:os'
import path from 'node:path'

export const CACHE_DIR = process.env.KUBE_SCENARIOS_CACHE || path.join(homedir(), '.cache', 'kube-scenarios')
/** Written by images/build.mjs: which node image to run and the image-override map. */
export const LOCAL_MANIFEST = path.join(CACHE_DIR, 'local-cluster.json')

export declare const CACHE_DIR: string
export declare const LOCAL_MANIFEST: string
/** What `npm run images` writes (build.mjs) and the `local` cluster provider reads (lib/cluster/local.ts). */
export interface LocalManifest {
  nodeImage: string
  /** The hash of images/ it was built from (sourcesHash). */
  sources: string
  kubernetesVersion: string
  /** Upstream image reference -> local reference. */
  imageOverrides: Record<string, string>
  /** The kubectl compiled with the cluster's components. */
  kubectl: string
  builtAt: string
}

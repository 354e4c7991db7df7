export interface ConformanceBuild {
  /** The e2e test binary (upstream's e2e.test: every suite it imports). */
  e2eTest: string
  /** The ginkgo CLI of the version the suite links. */
  ginkgo: string
  /** The kubectl of the cluster's release, for the sig-cli specs (the suite runs it on this machine). */
  kubectl: string
  /** docker-archive of the test images. */
  imagesArchive: string
  /** Their references (upstream names). */
  images: string[]
  kubernetesVersion: string
}
export declare function buildConformance(options?: { log?: (line: string) => void }): Promise<ConformanceBuild>

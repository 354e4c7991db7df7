export interface ConformanceBuild {
  /** The e2e test binary (upstream's e2e.test, restricted to the selected suites). */
  e2eTest: string
  /** The ginkgo CLI of the version the suite links. */
  ginkgo: string
  /** docker-archive of the test images. */
  imagesArchive: string
  /** Their references (upstream names). */
  images: string[]
  kubernetesVersion: string
}
export declare function buildConformance(options?: { log?: (line: string) => void }): Promise<ConformanceBuild>

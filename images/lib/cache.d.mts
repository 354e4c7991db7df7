export declare const CACHE_DIR: string
export declare const IMAGES_DIR: string
export declare function sourcesHash(): Promise<string>
export declare function hashInputs(inputs: unknown[], options?: { skip?: (relative: string) => boolean }): Promise<string>
/** A step's output directory (<cache>/<step>-<key>), its inputs' hash, and whether it is complete. */
export interface StepState {
  outDir: string
  key: string
  cached: boolean
}
export declare function stepState(name: string, inputs: unknown[]): Promise<StepState>
export interface CachedStepResult extends StepState {
  /** Another build built it while this one waited for the step's lock. */
  builtElsewhere: boolean
}
export declare function cachedStep(
  name: string,
  inputs: unknown[],
  produce: (outDir: string, key: string) => Promise<void>,
  options?: { onWait?: (line: string) => void },
): Promise<CachedStepResult>
export declare const reportWaiting: (line: string) => void

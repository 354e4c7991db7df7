/** A step's duration as last measured on this machine. */
export interface Timing {
  seconds: number
  /** when it was measured (ISO 8601) */
  at: string
}
export declare const TIMINGS_FILE: string
export declare const COLD_BUILD_STEP: string
export declare function readTimings(): Promise<Record<string, Timing>>
export declare function estimateOf(timings: Record<string, Timing>, step: string, typicalS: number): number
export declare function recordTiming(timings: Record<string, Timing>, step: string, seconds: number): Promise<void>

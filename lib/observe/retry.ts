// For what the API cannot watch (HTTP answers, metrics, logs): attempts until one succeeds or
// the deadline passes. Everything the API can watch waits in wait.ts instead.
import { runSettings } from '../config/settings.js'

export interface RetryOptions {
  /** What is awaited, as a state phrase (for the timeout message). */
  description: string
  timeoutMs?: number
  /** Pause between attempts; default 500 ms. */
  retryMs?: number
}

/**
 * For what the API cannot watch (HTTP answers, metrics, logs): tries until `attempt` returns a
 * value, with a short pause between tries. `attempt` returns undefined (or throws) to mean "not
 * yet" and may return a reason that the timeout error shows as the last outcome.
 */
export async function retryUntil<T>(attempt: () => Promise<{ value?: T; reason?: string }>, options: RetryOptions): Promise<T> {
  const timeoutMs = options.timeoutMs ?? runSettings().timeouts.retry
  const deadline = Date.now() + timeoutMs
  let last = 'no attempt completed'
  while (Date.now() < deadline) {
    try {
      const { value, reason } = await attempt()
      if (value !== undefined) return value
      last = reason ?? 'not yet'
    } catch (error) {
      last = `failed: ${(error as Error).message}`
    }
    await new Promise((r) => setTimeout(r, options.retryMs ?? 500))
  }
  throw new Error(`timed out after ${(timeoutMs / 1000).toFixed(0)} s waiting until ${options.description}; last outcome: ${last}`)
}

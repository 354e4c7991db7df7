// Waiting on the cluster: list + watch with a deadline, never sleeps or polling. A condition is a
// value (what it waits for, plus a predicate evaluated on every watch event); a timeout reports
// the condition, the last objects observed and the evidence the scenario collects.
import type { Clients } from '../api/client.js'
import { ImagePullError, pullFailures } from './image-pulls.js'
import { NodeLostError, dependentPods, followsNodeLosses, nodeLosses } from './node-loss.js'
import { runSettings } from '../config/settings.js'
import { describeSelection, summarizeObject, watchObjects, type ObservedObject, type Selection, type WatchHandle } from './watch.js'

export interface Condition<T> {
  /** A state phrase: "deployment my-nginx has 4 available replicas". */
  description: string
  selection: Selection
  /** Evaluated on every change with all objects currently observed; a defined result ends the wait. */
  check(objects: ObservedObject[]): T | undefined
  /** Why the objects do not satisfy the condition yet; shown on timeout. */
  explain?(objects: ObservedObject[]): string
}

export interface WaitOptions {
  /** How long to wait before failing; default the settings' timeouts.wait (120 s unless KUBE_SCENARIOS_TIMEOUTS says). */
  timeoutMs?: number
  /** Collected on timeout and attached to the error (events, logs...). Must not throw. */
  evidence?: () => Promise<string>
  onTransientError?: (error: unknown) => void
  /**
   * The scenario deploys an image that cannot be pulled on purpose (a rollout that must stall):
   * pull failures in the namespace do not end the wait. Default false: they fail it at once.
   */
  expectImagePullFailures?: boolean
}

/** A wait that ran out of time: what was awaited, what was last seen, and the evidence. */
export class WaitTimeoutError extends Error {
  constructor(
    readonly condition: string,
    readonly timeoutMs: number,
    readonly lastObserved: ObservedObject[],
    readonly explanation: string | undefined,
    readonly evidence: string | undefined,
  ) {
    super(
      [
        `timed out after ${(timeoutMs / 1000).toFixed(0)} s waiting until ${condition}`,
        explanation ? `last observed: ${explanation}` : undefined,
        lastObserved.length ? `objects:\n${lastObserved.map(summarizeObject).join('\n')}` : 'no matching object was observed',
        evidence,
      ]
        .filter(Boolean)
        .join('\n'),
    )
    this.name = 'WaitTimeoutError'
  }
}

/**
 * Waits until the condition holds, returning what its check returned. A node lost meanwhile (or
 * before) that runs pods of the wait's namespace ends it at once with NodeLostError; a pod of the
 * namespace whose image cannot be pulled, with ImagePullError.
 */
export async function waitFor<T>(clients: Clients, condition: Condition<T>, options: WaitOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? runSettings().timeouts.wait
  let handle: WatchHandle | undefined
  let last: ObservedObject[] = []
  let settle!: { resolve: (value: T) => void; reject: (error: unknown) => void }
  const done = new Promise<T>((resolve, reject) => (settle = { resolve, reject }))
  // It may settle (a node lost) while the watch is still starting, before the caller holds it.
  done.catch(() => undefined)
  let finished = false
  let timer: NodeJS.Timeout | undefined
  // Subscriptions may report at once (what is already known), before they are assigned.
  let losses = NOT_FOLLOWED
  let pulls = NOT_FOLLOWED
  const finish = (action: () => void) => {
    if (finished) return
    finished = true
    clearTimeout(timer)
    handle?.stop()
    losses.unsubscribe()
    pulls.unsubscribe()
    action()
  }
  const lossChecks: Array<Promise<void>> = []
  losses = followsNodeLosses(condition.selection)
    ? nodeLosses(clients).subscribe((loss) => {
        lossChecks.push(
          dependentPods(clients, condition.selection, loss.node).then(
            (pods) => void (pods && finish(() => settle.reject(new NodeLostError(loss, condition.description, pods)))),
            // The pods cannot be listed now (the API server is down too): the wait goes on.
            () => undefined,
          ),
        )
      })
    : NOT_FOLLOWED
  pulls =
    followsNodeLosses(condition.selection) && !options.expectImagePullFailures
      ? pullFailures(clients, condition.selection.namespace!).subscribe((failures) => finish(() => settle.reject(new ImagePullError(failures, condition.description))))
      : NOT_FOLLOWED
  if (finished) pulls.unsubscribe()
  if (!finished) timer = setTimeout(async () => {
    const evidence = options.evidence ? await options.evidence().catch(() => undefined) : undefined
    const explanation = condition.explain?.(last)
    finish(() => settle.reject(new WaitTimeoutError(condition.description, timeoutMs, last, explanation, evidence)))
  }, timeoutMs)

  try {
    // Pods of a node lost before the wait began cannot satisfy it: their status is the dead
    // node's last word. Those losses are decided before the first evaluation.
    await Promise.all([losses.listed, pulls.listed])
    await Promise.all(lossChecks)
    if (finished) return done
    const evaluate = (objects: ObservedObject[]) => {
        last = objects
        let result: T | undefined
        try {
          result = condition.check(objects)
        } catch (error) {
          finish(() => settle.reject(error))
          return
        }
        if (result !== undefined) finish(() => settle.resolve(result as T))
    }
    handle = await watchObjects(clients, condition.selection, {
      onListed: evaluate,
      onChange: evaluate,
      onTransientError: options.onTransientError,
    })
    if (finished) handle.stop()
  } catch (error) {
    finish(() => settle.reject(error))
  }
  return done
}

const NOT_FOLLOWED: { listed: Promise<void>; unsubscribe: () => void } = { listed: Promise.resolve(), unsubscribe: () => {} }

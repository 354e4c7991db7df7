// The run's nodes for the report's summary, asked from the cluster while it still runs.
import { setTimeout as sleep } from 'node:timers/promises'
import { createClients } from '../api.js'

const LIST_TIMEOUT_MS = 5000

/** Node names, or undefined when the cluster does not answer within a few seconds (never throws). */
export async function listNodeNames(kubeconfig: string): Promise<string[] | undefined> {
  const cancel = new AbortController()
  const listing = createClients(kubeconfig)
    .core.listNode()
    .then(({ items }) => items.map((n) => n.metadata?.name ?? '?'))
    .catch(() => undefined)
  const timeout = sleep(LIST_TIMEOUT_MS, undefined, { signal: cancel.signal, ref: false }).catch(() => undefined)
  try {
    return await Promise.race([listing, timeout])
  } finally {
    cancel.abort()
  }
}

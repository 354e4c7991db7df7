// The run's nodes for the report's summary and a conformance run's product summary, asked from
// the cluster while it still runs.
import { setTimeout as sleep } from 'node:timers/promises'
import type { V1Node } from '@kubernetes/client-node'
import { createClients } from '../api/client.js'
import { runSettings } from '../config/settings.js'

/** What a conformance submission says of each node. */
export interface NodeDescription {
  name: string
  kubeletVersion: string
  containerRuntime: string
  osImage: string
  kernel: string
  cpu: string
  memory: string
  /** Its taints as key:effect (none: it takes any pod). */
  taints: string[]
}

/** Node names, or undefined when the cluster does not answer within the `request` timeout (never throws). */
export async function listNodeNames(kubeconfig: string): Promise<string[] | undefined> {
  return (await listNodes(kubeconfig))?.map((n) => n.metadata?.name ?? '?')
}

/** The nodes with their versions and capacity, or undefined when the cluster does not answer within the `request` timeout (never throws). */
export async function describeNodes(kubeconfig: string): Promise<NodeDescription[] | undefined> {
  return (await listNodes(kubeconfig))?.map((node) => {
    const info = node.status?.nodeInfo
    return {
      name: node.metadata?.name ?? '?',
      kubeletVersion: info?.kubeletVersion ?? '?',
      containerRuntime: info?.containerRuntimeVersion ?? '?',
      osImage: info?.osImage ?? '?',
      kernel: info?.kernelVersion ?? '?',
      cpu: node.status?.capacity?.cpu ?? '?',
      memory: node.status?.capacity?.memory ?? '?',
      taints: (node.spec?.taints ?? []).map((t) => `${t.key}:${t.effect}`),
    }
  })
}

async function listNodes(kubeconfig: string): Promise<V1Node[] | undefined> {
  const cancel = new AbortController()
  const listing = createClients(kubeconfig)
    .core.listNode()
    .then(({ items }) => items)
    .catch(() => undefined)
  const timeout = sleep(runSettings().timeouts.request, undefined, { signal: cancel.signal, ref: false }).catch(() => undefined)
  try {
    return await Promise.race([listing, timeout])
  } finally {
    cancel.abort()
  }
}

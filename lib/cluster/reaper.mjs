#!/usr/bin/env node
// The run's reaper (plain JS: it runs as a detached `node` process, outside vitest). It waits for
// its parent to close stdin — normal end, Ctrl-C or a crash, even SIGKILL — then removes every
// container and network labelled with the run id and, unless told to keep them, the run's
// namespaces. It stands in for testcontainers' Ryuk, whose image cannot be pulled or built here.
import { appendFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import * as k8s from '@kubernetes/client-node'
import { getContainerRuntimeClient } from 'testcontainers'
import { RUN_LABEL, runNetworkName } from '#images/lib/cluster-constants.mjs'

const [runId = '', logFile = '', kubeconfigFile] = process.argv.slice(2)
if (!runId || !logFile) {
  process.stderr.write('usage: reaper.mjs RUN_ID LOG_FILE [KUBECONFIG]\n')
  process.exit(2)
}
const log = (/** @type {string} */ line) => appendFileSync(logFile, `${new Date().toISOString()} ${line}\n`)

let keepNamespaces = false
let handedOver = false // a newer reaper of the same run took over: exit without sweeping
process.stdin.on('data', (chunk) => {
  if (String(chunk).includes('keep-namespaces')) keepNamespaces = true
  if (String(chunk).includes('handover')) handedOver = true
})
process.stdin.on('close', sweep)
process.stdin.resume()

async function sweep() {
  if (handedOver) process.exit(0)
  let failed = false
  try {
    if (kubeconfigFile && !keepNamespaces) await deleteNamespaces()
    await removeContainers()
  } catch (error) {
    failed = true
    log(`sweep failed: ${error instanceof Error ? error.stack : error}`)
  }
  // The run's credentials (its kubeconfig, kubectl's copies in the workers) go with it; the log
  // stays only to explain a failed sweep.
  for (const file of readdirSync(tmpdir()).filter((f) => f.startsWith(`kube-scenarios-${runId}`))) {
    rmSync(path.join(tmpdir(), file), { force: true })
  }
  if (!failed) rmSync(logFile, { force: true })
  process.exit(0)
}

async function deleteNamespaces() {
  const kc = new k8s.KubeConfig()
  kc.loadFromFile(/** @type {string} */ (kubeconfigFile))
  const core = kc.makeApiClient(k8s.CoreV1Api)
  const { items } = await core.listNamespace({ labelSelector: `${RUN_LABEL}=${runId}` })
  for (const name of items.map((ns) => ns.metadata?.name ?? '').filter(Boolean)) {
    await core.deleteNamespace({ name }).catch(() => undefined)
    log(`deleted namespace ${name}`)
  }
}

async function removeContainers() {
  const client = await getContainerRuntimeClient()
  const docker = client.container.dockerode
  const filters = JSON.stringify({ label: [`${RUN_LABEL}=${runId}`] })
  for (const info of await docker.listContainers({ all: true, filters })) {
    await docker.getContainer(info.Id).remove({ force: true, v: true }).catch(() => undefined)
    log(`removed container ${info.Names?.[0] ?? info.Id}`)
  }
  // testcontainers cannot label networks; the providers name them after the run instead.
  const networkFilters = JSON.stringify({ name: [runNetworkName(runId)] })
  for (const info of await docker.listNetworks({ filters: networkFilters })) {
    await docker.getNetwork(info.Id).remove().catch(() => undefined)
    log(`removed network ${info.Name}`)
  }
}

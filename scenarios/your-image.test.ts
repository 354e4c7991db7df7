// An image built on this machine under test, as a platform engineer's own app is: `docker build`
// here, then into the cluster. Not loaded, its pods fail their wait within seconds with the
// remedy; loaded but tagged :latest without a pull policy, the remedy names the policy; loaded,
// it rolls out and serves its page; a node that joins after the load runs it too.
// A cluster of this file's own: the test adds a node, which would change the node count under
// the files sharing the run's (DaemonSets count them).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect } from 'vitest'
import { $ } from 'zx'
import { ImagePullError, addNode, deletePod, deploymentRolledOut, loadImages, podsReady, useScenario, waitForHttp, type KubeObject } from '../lib/index.js'
import { BASE_IMAGES } from '#images/lib/cluster-constants.mjs'

const APP_IMAGE = 'kube-scenarios-example/own-app:dev'
const NOT_LOADED_IMAGE = 'kube-scenarios-example/never-loaded:dev'
/** Loaded, but its pods get imagePullPolicy Always (the default for :latest or no tag). */
const LATEST_IMAGE = 'kube-scenarios-example/own-app-latest'
const PAGE = 'own-app built on this machine'
/** What the issue promises: a pod that cannot get its image is named within 15 s. */
const PULL_FAILURE_NAMED_WITHIN_MS = 15_000

const s = useScenario('your-image', { ownCluster: true })
const context = mkdtempSync(path.join(tmpdir(), 'kube-scenarios-own-app-'))
afterAll(() => rmSync(context, { recursive: true, force: true }))

beforeAll(async () => {
  // busybox:1.36 where Docker has it or can pull it; the offline build's copy where nothing can be pulled.
  const hasUpstream = (await $({ quiet: true, nothrow: true })`docker image inspect busybox:1.36`).exitCode === 0
  const hasOffline = (await $({ quiet: true, nothrow: true })`docker image inspect ${BASE_IMAGES.busybox}`).exitCode === 0
  const base = hasUpstream || !hasOffline ? 'busybox:1.36' : BASE_IMAGES.busybox
  writeFileSync(path.join(context, 'index.html'), `<h1>${PAGE}</h1>\n`)
  writeFileSync(path.join(context, 'Dockerfile'), `FROM ${base}\nCOPY index.html /www/index.html\nCMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n`)
  await $({ quiet: true })`docker build -q -t ${APP_IMAGE} -t ${NOT_LOADED_IMAGE} -t ${LATEST_IMAGE} ${context}`
}, 120_000)

const app = (image: string, name: string, extra: Record<string, unknown> = {}, pullPolicy: { imagePullPolicy?: string } = { imagePullPolicy: 'IfNotPresent' }): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels: { app: name } },
  spec: {
    ...extra,
    containers: [{ name: 'app', image, ...pullPolicy, ports: [{ containerPort: 8080 }], readinessProbe: { httpGet: { path: '/', port: 8080 } } }],
  },
})

describe('your-image', () => {
  s.test.sequential('an image this machine built but did not load fails the wait within 15 s, naming image, node and remedy', async () => {
    await s.step(`apply a pod of ${NOT_LOADED_IMAGE} (in Docker here, not in the cluster)`, () => s.applyObjects('not-loaded', app(NOT_LOADED_IMAGE, 'not-loaded')))
    const started = Date.now()
    const failure = await s.step('wait for it to be Ready', () => s.waitFor(podsReady(s.namespace, 'app=not-loaded', 1)).catch((error: unknown) => error))
    const elapsed = Date.now() - started
    s.timeline.note(`the pull failure was named after ${(elapsed / 1000).toFixed(1)} s`)
    expect(failure).toBeInstanceOf(ImagePullError)
    const error = failure as ImagePullError
    expect(error.failures.map((f) => [f.pod, f.image])).toEqual([['not-loaded', NOT_LOADED_IMAGE]])
    expect(error.failures[0]!.node, 'the node it was scheduled to').toBeTruthy()
    expect(error.message).toContain(`kube-scenarios load ${NOT_LOADED_IMAGE}`)
    expect(elapsed).toBeLessThan(PULL_FAILURE_NAMED_WITHIN_MS)
    // It would fail every later wait of the namespace, as designed.
    await s.step('delete it', () => deletePod(s.api, { namespace: s.namespace, name: 'not-loaded' }, 0))
  })

  s.test.sequential('an image loaded but untagged (:latest) with no pull policy fails within 15 s, naming the policy, not the load', async () => {
    await s.step(`load ${LATEST_IMAGE} into the cluster`, () => loadImages(s.cluster, [LATEST_IMAGE]))
    await s.step(`apply a pod of ${LATEST_IMAGE} without imagePullPolicy`, () => s.applyObjects('latest', app(LATEST_IMAGE, 'latest', {}, {})))
    const started = Date.now()
    const failure = await s.step('wait for it to be Ready', () => s.waitFor(podsReady(s.namespace, 'app=latest', 1)).catch((error: unknown) => error))
    const elapsed = Date.now() - started
    expect(failure).toBeInstanceOf(ImagePullError)
    const error = failure as ImagePullError
    s.timeline.note(`named after ${(elapsed / 1000).toFixed(1)} s: ${error.message}`)
    expect(error.failures.map((f) => [f.pod, f.image, f.pullPolicy])).toEqual([['latest', LATEST_IMAGE, 'Always']])
    expect(error.message).toContain(`remedy for ${LATEST_IMAGE}: it is in the nodes (loaded into the nodes), but container app has imagePullPolicy Always (the default for an image tagged \`:latest\` or with no tag)`)
    expect(error.message).toContain('set `imagePullPolicy: IfNotPresent`')
    expect(error.message).not.toContain('kube-scenarios load')
    expect(elapsed).toBeLessThan(PULL_FAILURE_NAMED_WITHIN_MS)
    await s.step('delete it', () => deletePod(s.api, { namespace: s.namespace, name: 'latest' }, 0))
  })

  s.test.sequential('loaded, the image rolls out and serves its own page', async () => {
    const loads = await s.step(`load ${APP_IMAGE} into the cluster`, () => loadImages(s.cluster, [APP_IMAGE]))
    expect(loads.map((l) => l.image)).toEqual([APP_IMAGE])
    expect(loads[0]!.bytes).toBeGreaterThan(0)
    await s.step('apply own-app (Deployment + ClusterIP Service)', () => s.apply('your-image/app.yaml'))
    await s.step('wait for the rollout', () => s.waitFor(deploymentRolledOut(s.namespace, 'own-app')))
    const url = await s.step('a URL for Service own-app, port 80', () => s.serviceUrl('own-app', 80))
    const page = await s.step('GET the Service', () => waitForHttp(url, (r) => r.status === 200, { description: 'own-app answers through its Service', timeoutMs: 30_000 }))
    expect(page.body).toContain(PAGE)
    // Loading it again finds it there: nothing is copied twice.
    expect((await loadImages(s.cluster, [APP_IMAGE])).every((l) => l.already)).toBe(true)
  })

  s.test.sequential('a node added after the load runs a pod of the loaded image', async () => {
    const node = await s.step('add a node', () => addNode(s.cluster))
    await s.step(`apply a pod of ${APP_IMAGE} bound to ${node}`, () => s.applyObjects('on-new-node', app(APP_IMAGE, 'on-new-node', { nodeSelector: { 'kubernetes.io/hostname': node } })))
    const [pod] = await s.step('wait for it to be Ready (its readiness probe GETs the page)', () => s.waitFor(podsReady(s.namespace, 'app=on-new-node', 1)))
    expect(pod!.spec?.nodeName).toBe(node)
  })
})

// Recipe 3, "Forwarding container ports": container to container, pod to pod across nodes,
// NetworkPolicy, pod to Service and NodePort, Ingress by host and path, port forwarding.
import net from 'node:net'
import { describe, expect } from 'vitest'
import {
  fetchFromPod,
  ingressUrlOf,
  httpGet,
  logs,
  podReady,
  podsReady,
  portForward,
  serviceEndpointsReady,
  someObject,
  useScenario,
  waitForFetchFromPod,
  waitForHttp,
  waitForLogs,
  type ObservedObject,
  type PodFetch,
  nodePortUrlOf,
} from '../lib/index.js'

const s = useScenario('networking', { nodes: 2 })
const WELCOME_TITLE = '<title>Welcome to nginx!</title>'
const NGINX_SVC_URL = 'http://nginx-svc:8080'
const NODEPORT_SVC_URL = 'http://nodeport-svc:8080'
const ECHOSERVER_SVC_URL = 'http://echoserver:8080'
// kube-router applies policy changes within a second or two of the watch event.
const POLICY_TIMEOUT_MS = 30_000
/** Requests after a policy change first shows that must all agree with it: the recipe says traffic stays so. */
const CONFIRMATIONS = 3
const INGRESS_TIMEOUT_MS = 60_000
const HAPPY_HOST = { host: 'happy.k8s.io' }

describe('networking', () => {
  s.test('N1 a client container reaches nginx in the same pod at localhost:80', async () => {
    await s.step('apply two-container', () => s.apply('networking/two-container.yaml'))
    await s.step('wait until two-container is Ready', () => s.waitFor(podReady(s.namespace, 'two-container')))
    const clientLogs = await s.step("wait for the welcome page in the client's logs", () =>
      waitForLogs(s.api, { ...ref('two-container'), container: 'client' }, (text) => text.includes(WELCOME_TITLE), {
        description: "the client container's logs contain the nginx welcome title",
      }),
    )
    expect(clientLogs).toContain(WELCOME_TITLE)
    // The other side of the same exchange: nginx logged requests from the pod's loopback address.
    const webLogs = await logs(s.api, { ...ref('two-container'), container: 'web' })
    expect(webLogs).toMatch(/^127\.0\.0\.1 - .*"GET \/ HTTP\/1\.1" 200/m)
  })

  s.test('N2 pods on two nodes get distinct IPs and reach each other by IP', async () => {
    await s.step('apply peer-nginx (2 pods, one per node)', () => s.apply('networking/peer-nginx.yaml'))
    const [a, b] = await s.step('wait for both pods to be Ready', () => s.waitFor(podsReady(s.namespace, 'app=peer-nginx', 2)))
    expect(nodeOf(a!)).not.toBe(nodeOf(b!))
    expect(ipOf(a!)).not.toBe(ipOf(b!))
    for (const [from, to] of [
      [a!, b!],
      [b!, a!],
    ] as const) {
      const fetched = await s.step(`${from.metadata.name} GETs http://${ipOf(to)}/`, () => fetchFromPod(s.api, ref(from.metadata.name), `http://${ipOf(to)}/`))
      expect(fetched).toMatchObject({ outcome: 'ok', body: `Served by pod ${to.metadata.name}\n` })
    }
  })

  s.test('N3 NetworkPolicies: only test=inbound admitted, then deny-all and allow-all as named', async () => {
    await s.step('apply nginx-pod, nginx-svc and the clients', () => s.apply('networking/nginx-pod.yaml', 'networking/clients.yaml'))
    await s.waitFor(podsReady(s.namespace, 'app=nginx-pod', 1))
    await s.waitFor(podReady(s.namespace, 'client'))
    await s.waitFor(podReady(s.namespace, 'inbound-client'))
    await s.waitFor(serviceEndpointsReady(s.namespace, 'nginx-svc', 1))
    try {
      // The same check that later finds nginx-svc blocked finds it open here: it can fail.
      await s.step('before any policy the unlabelled client reaches nginx-svc', () => expectReachability('client', 'open'))

      await s.step('apply nginx-networkpolicy (admits test=inbound only)', () => s.apply('networking/nginx-networkpolicy.yaml'))
      await s.step('the unlabelled client is blocked', () => expectReachability('client', 'blocked'))
      await s.step('the test=inbound client gets through', () => expectReachability('inbound-client', 'open'))

      await s.step('replace it by deny-all', async () => {
        await s.api.networking.deleteNamespacedNetworkPolicy({ namespace: s.namespace, name: 'nginx-networkpolicy' })
        await s.apply('networking/deny-all.yaml')
      })
      await s.step('deny-all blocks the test=inbound client', () => expectReachability('inbound-client', 'blocked'))
      await s.step('deny-all blocks the unlabelled client', () => expectReachability('client', 'blocked'))

      await s.step('add allow-all next to deny-all', () => s.apply('networking/allow-all.yaml'))
      await s.step('allow-all admits the unlabelled client', () => expectReachability('client', 'open'))
      await s.step('allow-all admits the test=inbound client', () => expectReachability('inbound-client', 'open'))
    } finally {
      // Later tests reach pods of this namespace (through the Ingress controller, NodePorts).
      await s.api.networking.deleteCollectionNamespacedNetworkPolicy({ namespace: s.namespace })
    }
  })

  s.test('N4 nodeport-svc has exactly the 2 pods as endpoints, spreads requests over both and answers on its NodePort', async () => {
    await s.step('apply nodeport-deploy, nodeport-svc and the clients', () => s.apply('networking/nodeport-deploy.yaml', 'networking/clients.yaml'))
    const pods = await s.step('wait for 2 Ready pods', () => s.waitFor(podsReady(s.namespace, 'app=nodeport-deploy', 2)))
    const endpoints = await s.step('wait for the Service endpoints', () => s.waitFor(serviceEndpointsReady(s.namespace, 'nodeport-svc', 2)))
    expect(endpoints).toEqual(pods.map(ipOf).sort())
    await s.waitFor(podReady(s.namespace, 'client'))
    // kube-proxy programs the Service shortly after its endpoints are published.
    await waitForFetchFromPod(s.api, ref('client'), NODEPORT_SVC_URL, (f) => f.outcome === 'ok', { description: 'nodeport-svc answers the client' })

    const served = await s.step('GET nodeport-svc from a client pod until both pods answered', () => podsServing(NODEPORT_SVC_URL, 30))
    expect([...served].sort()).toEqual(pods.map((p) => p.metadata.name).sort())

    const page = await s.step('GET the NodePort 30085 from the test process', () =>
      waitForHttp(nodePortUrlOf(s.cluster, 30085), (r) => r.status === 200, { description: 'NodePort 30085 answers' }),
    )
    expect(pods.map((p) => `Served by pod ${p.metadata.name}\n`)).toContain(page.body)
  })

  s.test('N5 the Ingress for happy.k8s.io routes /nginx and /echoserver to their own backends', async () => {
    await s.step('apply the backends nodeport-svc and echoserver', () =>
      s.apply('networking/nodeport-deploy.yaml', 'networking/echoserver.yaml', 'networking/clients.yaml'),
    )
    const nginxPods = (await s.waitFor(podsReady(s.namespace, 'app=nodeport-deploy', 2))).map((p) => p.metadata.name)
    await s.waitFor(serviceEndpointsReady(s.namespace, 'echoserver', 1))
    await s.waitFor(podReady(s.namespace, 'client'))
    // The controller keeps backend connections alive: one opened before kube-proxy programmed a
    // new ClusterIP leaves the node (here something outside answers 404) and is reused. So the
    // Ingress goes in once both Services answer inside the cluster.
    await s.step('wait until both Services answer a client pod', async () => {
      for (const url of [NODEPORT_SVC_URL, ECHOSERVER_SVC_URL]) {
        await waitForFetchFromPod(s.api, ref('client'), url, (f) => f.outcome === 'ok', { description: `${url} answers the client` })
      }
    })
    await s.step('apply the Ingress happy-ingress', () => s.apply('networking/ingress.yaml'))
    await s.step('wait until the controller publishes the Ingress address', () =>
      s.waitFor(
        someObject({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', namespace: s.namespace, name: 'happy-ingress' }, 'happy-ingress has an address', (i) =>
          Boolean((i.status?.loadBalancer as { ingress?: unknown[] } | undefined)?.ingress?.length),
        ),
      ),
    )
    const ingressUrl = ingressUrlOf(s.cluster)

    const nginx = await s.step('GET /nginx/ with Host happy.k8s.io', () =>
      waitForHttp(`${ingressUrl}/nginx/`, (r) => r.status === 200, { description: '/nginx/ is routed', headers: HAPPY_HOST, timeoutMs: INGRESS_TIMEOUT_MS }),
    )
    expect(nginxPods.map((name) => `Served by pod ${name}\n`)).toContain(nginx.body)
    const echo = await s.step('GET /echoserver with Host happy.k8s.io', () =>
      waitForHttp(`${ingressUrl}/echoserver`, (r) => r.status === 200, { description: '/echoserver is routed', headers: HAPPY_HOST, timeoutMs: INGRESS_TIMEOUT_MS }),
    )
    expect(echo.body).toMatch(/Hostname: echoserver-/)
    expect(echo.body).toContain('real path=/echoserver')
    expect(echo.body).toContain('host=happy.k8s.io')

    // With both routes programmed, what no rule covers must get the controller's 404.
    const unrouted = await s.step('GET /other with Host happy.k8s.io', () => httpGet(`${ingressUrl}/other`, { headers: HAPPY_HOST }))
    expect(unrouted.status).toBe(404)
    const wrongHost = await s.step('GET /echoserver with Host sad.k8s.io', () => httpGet(`${ingressUrl}/echoserver`, { headers: { host: 'sad.k8s.io' } }))
    expect(wrongHost.status).toBe(404)
    expect(wrongHost.body).not.toContain('Hostname:')
  })

  s.test('N6 a local port forwarded to a pod serves its page and is free after close', async () => {
    await s.apply('networking/nodeport-deploy.yaml')
    const [pod] = await s.waitFor(podsReady(s.namespace, 'app=nodeport-deploy', 2))
    const forward = await s.step(`forward a local port to ${pod!.metadata.name}:80`, () => portForward(s.api, ref(pod!.metadata.name), 80))
    let closed = false
    try {
      const page = await s.step('GET the forwarded port', () => httpGet(forward.url))
      expect(page).toMatchObject({ status: 200, body: `Served by pod ${pod!.metadata.name}\n` })
      await s.step('close the forward', () => forward.close())
      closed = true
    } finally {
      if (!closed) await forward.close()
    }
    await expect(httpGet(forward.url, { timeoutMs: 2_000 })).rejects.toThrow()
    await s.step(`listen on port ${forward.localPort} again`, () => listenOnce(forward.localPort))
  })
})

function ref(name: string) {
  return { namespace: s.namespace, name }
}

const nodeOf = (pod: ObservedObject) => String(pod.spec?.nodeName)
const ipOf = (pod: ObservedObject) => String(pod.status?.podIP)

type Reachability = 'open' | 'blocked'

/**
 * Waits (bounded: policies are enforced asynchronously) until a client pod's GET of nginx-svc
 * is `expected`, then asserts what was observed. "open" is the welcome page; "blocked" a timeout
 * or refusal, never a DNS or other failure, which would prove nothing about a policy.
 */
/**
 * Waits until the policy change shows (kube-router programs it shortly after the API accepts
 * it), then checks that it holds: every one of CONFIRMATIONS further requests must agree.
 */
async function expectReachability(client: string, expected: Reachability): Promise<void> {
  const first = await waitForFetchFromPod(s.api, ref(client), NGINX_SVC_URL, (f) => reachabilityOf(f) === expected, {
    description: `${client} finds ${NGINX_SVC_URL} ${expected}`,
    timeoutMs: POLICY_TIMEOUT_MS,
  })
  const checks = [first]
  for (let i = 0; i < CONFIRMATIONS; i++) checks.push(await fetchFromPod(s.api, ref(client), NGINX_SVC_URL))
  const outcomes = checks.map((f) => `${f.outcome}${f.message ? ` (${f.message})` : ''}`).join(', ')
  s.timeline.note(`${client} -> ${NGINX_SVC_URL}: ${outcomes}`)
  for (const fetched of checks) expect(reachabilityOf(fetched), `${client} -> ${NGINX_SVC_URL} stays ${expected}; checks in order: ${outcomes}`).toBe(expected)
}

function reachabilityOf(fetched: PodFetch): Reachability | undefined {
  if (fetched.outcome === 'ok' && fetched.body.includes(WELCOME_TITLE)) return 'open'
  if (fetched.outcome === 'timeout' || fetched.outcome === 'refused') return 'blocked'
  return undefined
}

/** The pods that served GETs of `url` from the client pod, stopping once two different ones did. */
async function podsServing(url: string, maxRequests: number): Promise<Set<string>> {
  const served = new Set<string>()
  for (let i = 0; i < maxRequests && served.size < 2; i++) {
    const fetched = await fetchFromPod(s.api, ref('client'), url)
    const name = /^Served by pod (\S+)$/m.exec(fetched.body)?.[1]
    if (fetched.outcome !== 'ok' || !name) throw new Error(`GET ${url} from client: ${fetched.outcome} ${fetched.message} ${fetched.body}`)
    served.add(name)
  }
  return served
}

/** Listens on 127.0.0.1:port and closes again; rejects when the port is taken. */
function listenOnce(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => server.close(() => resolve()))
  })
}

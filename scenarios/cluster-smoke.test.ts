// Proof that the run's cluster is a real, complete Kubernetes: versions, Services and NodePorts,
// DNS, metrics, NetworkPolicy, dynamic volumes, Ingress, pod routing across nodes.
import { describe, expect } from 'vitest'
import {
  exec,
  fetchFromPod,
  ingressUrlOf,
  waitForFetchFromPod,
  httpGet,
  nodesReady,
  objectsMatch,
  podReady,
  podsReady,
  retryUntil,
  serviceEndpointsReady,
  useScenario,
  waitForHttp,
  type KubeObject,
  nodePortUrlOf,
} from '../lib/index.js'

const s = useScenario('cluster-smoke', { nodes: 2 })
const client = () => ({ namespace: s.namespace, name: 'client' })

/** "v1.37.2+k3s1" -> "v1.37.2": distributions add their own suffix to the upstream release. */
const releaseOf = (version: string) => /^v\d+\.\d+\.\d+/.exec(version)?.[0]

/** HTTP from the client pod (busybox wget), classified: ok, timeout, refused, dns... */
const fetchFromClient = (url: string) => fetchFromPod(s.api, client(), url)

describe('cluster-smoke', () => {
  s.test('nodes are Ready and run the Kubernetes version the provider started', async () => {
    const expected = releaseOf(s.cluster.kubernetesVersion)
    expect(expected, `provider's version ${s.cluster.kubernetesVersion}`).toMatch(/^v\d+\.\d+\.\d+$/)
    const nodes = await s.waitFor(nodesReady(2))
    for (const node of nodes) {
      expect(releaseOf((node.status?.nodeInfo as { kubeletVersion: string }).kubeletVersion)).toBe(expected)
    }
    const version = await s.api.raw.request<{ gitVersion: string }>('GET', '/version')
    expect(releaseOf(version.gitVersion)).toBe(expected)
  })

  s.test('an nginx pod answers through its Service, its NodePort and CoreDNS', async () => {
    await s.step('apply web, its Service and Ingress, and a client pod', () => s.apply('cluster-smoke/web.yaml'))
    const [pod] = await s.waitFor(podsReady(s.namespace, 'app=web', 1))
    const [endpoint] = await s.waitFor(serviceEndpointsReady(s.namespace, 'web', 1))
    expect(endpoint).toBe(pod!.status?.podIP)
    await s.waitFor(podReady(s.namespace, 'client'))

    // kube-proxy programs a new Service's rules asynchronously: until then the ClusterIP refuses.
    const byName = await s.step('GET http://web by its Service name from the client pod', () =>
      waitForFetchFromPod(s.api, client(), 'http://web', (f) => f.outcome === 'ok', { description: 'the web Service answers the client', timeoutMs: 30_000 }),
    )
    expect(byName.body, byName.message).toContain('Welcome to nginx!')
    const service = await s.api.core.readNamespacedService({ namespace: s.namespace, name: 'web' })
    const lookup = await exec(s.api, client(), ['nslookup', `web.${s.namespace}.svc.cluster.local`])
    expect(lookup.stdout).toContain(service.spec!.clusterIP!)

    // kube-proxy programs the NodePort asynchronously: the first answers may still be refusals.
    const viaNodePort = await s.step('GET the NodePort from the test process', () =>
      waitForHttp(nodePortUrlOf(s.cluster, 30086), (r) => r.status === 200, { description: 'the NodePort answers', timeoutMs: 30_000 }),
    )
    expect(viaNodePort.body).toContain('Welcome to nginx!')
  })

  s.test('the Ingress controller routes by host', async () => {
    // The clusters kube-scenarios starts run Traefik as the default IngressClass, as k3s does;
    // a borrowed cluster keeps its own controller.
    if (s.cluster.provider !== 'kubeconfig') {
      const { items } = await s.api.networking.listIngressClass()
      const defaults = items.filter((c) => c.metadata?.annotations?.['ingressclass.kubernetes.io/is-default-class'] === 'true')
      expect(defaults.map((c) => [c.metadata?.name, c.spec?.controller])).toEqual([['traefik', 'traefik.io/ingress-controller']])
    }
    const routed = await s.step('GET / with Host smoke.k8s.io through the Ingress controller', () =>
      waitForHttp(ingressUrlOf(s.cluster), (r) => r.status === 200, { description: 'the Ingress routes smoke.k8s.io to web', headers: { host: 'smoke.k8s.io' } }),
    )
    expect(routed.body).toContain('Welcome to nginx!')
    const unrouted = await httpGet(ingressUrlOf(s.cluster), { headers: { host: 'unknown.k8s.io' } })
    expect(unrouted.status).toBe(404)
    if (s.cluster.provider !== 'kubeconfig') expect(unrouted.body, "Traefik's own answer when no router matches").toBe('404 page not found\n')
  })

  s.test('metrics-server reports the pod metrics', async () => {
    const metrics = await s.step('wait for pod metrics of web', () =>
      retryUntil(
        async () => {
          const list = await s.api.raw.request<{ items: Array<{ metadata: { name: string }; containers: Array<{ usage: { cpu: string; memory: string } }> }> }>(
            'GET',
            `/apis/metrics.k8s.io/v1beta1/namespaces/${s.namespace}/pods?labelSelector=app%3Dweb`,
          )
          return list.items.length ? { value: list.items } : { reason: 'no pod metrics yet' }
        },
        { description: 'metrics-server reports web', timeoutMs: 120_000, retryMs: 2000 },
      ),
    )
    expect(metrics[0]!.containers[0]!.usage.memory).toMatch(/^\d+(Ki|Mi)$/)
  })

  s.test('a NetworkPolicy blocks an unlabelled client and admits a labelled one', async () => {
    expect((await fetchFromClient('http://web')).outcome).toBe('ok')
    await s.step('apply the policy admitting only allowed=true', () => s.apply('cluster-smoke/web-policy.yaml'))
    await s.step('the unlabelled client is blocked', () =>
      retryUntil(
        async () => {
          const r = await fetchFromClient('http://web')
          return ['timeout', 'refused'].includes(r.outcome) ? { value: r } : { reason: `${r.outcome} ${r.message}` }
        },
        { description: 'the policy blocks the client', timeoutMs: 30_000 },
      ),
    )
    await s.step('label the client allowed=true', () =>
      s.api.raw.request('PATCH', `/api/v1/namespaces/${s.namespace}/pods/client`, { metadata: { labels: { allowed: 'true' } } }, 'application/merge-patch+json'),
    )
    const admitted = await s.step('the labelled client is admitted', () =>
      retryUntil(async () => {
        const r = await fetchFromClient('http://web')
        return r.outcome === 'ok' ? { value: r } : { reason: `${r.outcome} ${r.message}` }
      }, { description: 'the policy admits the labelled client', timeoutMs: 30_000 }),
    )
    expect(admitted.body).toContain('Welcome to nginx!')
  })

  s.test('a PersistentVolumeClaim binds dynamically and its volume is writable', async () => {
    await s.step('apply a claim and a pod that writes to it', () => s.apply('cluster-smoke/claim.yaml'))
    const claim = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: s.namespace, name: 'data' }
    await s.step('wait until the claim is Bound', () => s.waitFor(objectsMatch(claim, 'claim data is Bound', ([pvc]) => pvc?.status?.phase === 'Bound'), { timeoutMs: 120_000 }))
    await s.waitFor(podReady(s.namespace, 'writer'))
    const read = await exec(s.api, { namespace: s.namespace, name: 'writer' }, ['cat', '/data/proof'])
    expect(read.stdout.trim()).toBe('written')
  })

  s.test('pods on two nodes reach each other by pod IP', async () => {
    const nodes = (await s.waitFor(nodesReady(2))).map((n) => n.metadata.name).slice(0, 2)
    const pods: KubeObject[] = nodes.map((node, i) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `routed-${i}`, labels: { app: 'routed' } },
      spec: { nodeName: node, terminationGracePeriodSeconds: 0, containers: [{ name: 'nginx', image: 'nginx:1.27' }] },
    }))
    await s.step('one nginx pod on each of two nodes', () => s.applyObjects('one pod per node', ...pods))
    const ready = await s.waitFor(podsReady(s.namespace, 'app=routed', 2))
    expect(new Set(ready.map((p) => p.spec?.nodeName)).size).toBe(2)
    const [from, to] = ready
    const answer = await s.step(`GET ${to!.metadata.name} by IP from ${from!.metadata.name}`, () =>
      exec(s.api, { namespace: s.namespace, name: from!.metadata.name }, ['wget', '-q', '-T', '3', '-O', '-', `http://${to!.status?.podIP}`]),
    )
    expect(answer.stdout, answer.stderr).toContain('Welcome to nginx!')
  })
})

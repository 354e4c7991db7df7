// The k3s provider without an image: the unstarted containers it builds, its start and join
// sequence against fake containers, and the version and kubeconfig it derives.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { K3sContainer } from '@testcontainers/k3s'
import { GenericContainer, type StartedNetwork } from 'testcontainers'
import { afterEach, describe, expect, test, vi } from 'vitest'
import YAML from 'yaml'
import { K3sCluster, k3sAgentContainer, k3sServerContainer, versionOfK3sImage, type K3sDependencies } from '../../lib/cluster/k3s.js'
import { kubeconfigForHost, startNodes } from '../../lib/cluster/provider.js'
import { runSettings } from '../../lib/config/settings.js'

const network = { getName: () => 'kube-scenarios-run1', stop: vi.fn(async () => undefined) } as unknown as StartedNetwork & { stop: ReturnType<typeof vi.fn> }
const settings = { network, labels: { 'kube-scenarios.dev/run': 'run1' } }

/** What Docker would be asked to create (testcontainers keeps it in these fields until start). */
interface Unstarted {
  hostConfig: { CgroupnsMode?: string; Privileged?: boolean; Binds?: string[]; Tmpfs?: Record<string, string>; NetworkMode?: string; PortBindings?: Record<string, Array<{ HostIp?: string; HostPort: string }>> }
  createOpts: { Cmd?: string[]; Env?: string[]; Labels?: Record<string, string> }
  networkMode?: string
  networkAliases: string[]
  beforeContainerCreated?: () => Promise<void>
}
const unstarted = (c: GenericContainer) => c as unknown as Unstarted

describe('k3s node containers', () => {
  test('server and agents share the host cgroup namespace, privileges and tmpfs, on the run network only', async () => {
    const server = unstarted(k3sServerContainer('rancher/k3s:v1.37.2-k3s1', settings, ['172.17.0.1']))
    const agent = unstarted(k3sAgentContainer('rancher/k3s:v1.37.2-k3s1', settings, { name: 'k3s-agent-1', serverUrl: 'https://172.18.0.2:6443', token: 't' }))
    for (const node of [server, agent]) {
      expect(node.hostConfig).toMatchObject({ CgroupnsMode: 'host', Privileged: true, Binds: ['/sys/fs/cgroup:/sys/fs/cgroup:rw'], Tmpfs: { '/run': 'rw', '/var/run': 'rw' } })
      expect(node.networkMode).toBe('kube-scenarios-run1')
      // With an alias testcontainers would create it on the default bridge and attach the run network later.
      expect(node.networkAliases).toEqual([])
      expect(node.createOpts.Labels).toMatchObject({ 'kube-scenarios.dev/run': 'run1' })
    }
    await server.beforeContainerCreated?.()
    expect(server.createOpts.Cmd).toEqual(['server', '--node-name=k3s-server', '--tls-san=172.17.0.1'])
    expect(agent.createOpts.Cmd).toEqual(['agent', '--node-name=k3s-agent-1'])
    expect(agent.createOpts.Env).toEqual(expect.arrayContaining(['K3S_URL=https://172.18.0.2:6443', 'K3S_TOKEN=t']))
  })

  test('the server publishes its API, NodePorts and Ingress on loopback only, unless an address is given', () => {
    const bindings = (publishAddress?: string) => Object.values(unstarted(k3sServerContainer('rancher/k3s:v1.37.2-k3s1', { ...settings, ...(publishAddress ? { publishAddress } : {}) }, [])).hostConfig.PortBindings ?? {}).flat()
    // The API, the webhook port K3sContainer adds, ten NodePorts and Traefik's entry.
    expect(bindings().length).toBe(13)
    expect(bindings().every((b) => b.HostIp === '127.0.0.1' && b.HostPort === '0')).toBe(true)
    expect(bindings('0.0.0.0').every((b) => b.HostIp === '0.0.0.0')).toBe(true)
  })

  test('KUBE_SCENARIOS_PUBLISH_ADDRESS: loopback by default, an IP address when set, anything else refused by name', () => {
    const publishAddress = (env: NodeJS.ProcessEnv) => runSettings(env).publishAddress
    expect(publishAddress({})).toBe('127.0.0.1')
    expect(publishAddress({ KUBE_SCENARIOS_PUBLISH_ADDRESS: '0.0.0.0' })).toBe('0.0.0.0')
    expect(() => publishAddress({ KUBE_SCENARIOS_PUBLISH_ADDRESS: 'everywhere' })).toThrow(/KUBE_SCENARIOS_PUBLISH_ADDRESS must be an IP address of this machine \(0\.0\.0\.0 for every interface\), not "everywhere"/)
  })
})

describe('the k3s cluster', () => {
  afterEach(() => vi.restoreAllMocks())

  const fakeStarted = (name: string) => ({
    name,
    getId: () => `id-${name}`,
    getHost: () => 'localhost',
    getMappedPort: (port: number) => 40000 + port,
    getIpAddress: (networkName: string) => (networkName === 'kube-scenarios-run1' ? '172.18.0.2' : 'wrong-network'),
    getKubeConfig: () => 'clusters:\n- cluster:\n    server: https://localhost:6443\n',
    exec: async () => ({ output: 'node-token\n', exitCode: 0 }),
    stop: vi.fn(async () => undefined),
  })

  function fakeDependencies(overrides: Partial<K3sDependencies> = {}): K3sDependencies {
    return { engineHost: async () => '172.17.0.1', nodeReady: async () => undefined, addonsReady: async () => undefined, ...overrides }
  }

  /** Replaces container starts: the server starts, each agent gets the next outcome; records the agents' commands. */
  function fakeStarts(outcomes: Array<'ok' | 'fail'>) {
    const commands: string[][] = []
    vi.spyOn(K3sContainer.prototype, 'start').mockImplementation(async () => fakeStarted('server') as never)
    vi.spyOn(GenericContainer.prototype, 'start').mockImplementation(async function (this: GenericContainer) {
      const cmd = unstarted(this).createOpts.Cmd ?? []
      commands.push(cmd)
      if (outcomes.shift() === 'fail') throw new Error('Log message "Successfully registered node" not received after 180000ms')
      return fakeStarted(cmd[0] ?? '') as never
    })
    return commands
  }

  test('an agent joins by the server address on the run network and counts only once its Node is Ready', async () => {
    const commands = fakeStarts(['ok'])
    let markReady: () => void = () => undefined
    const readyAsked: number[] = []
    const cluster = new K3sCluster('run1', settings, () => undefined, 'rancher/k3s:v1.37.2-k3s1', fakeDependencies({
      nodeReady: (_kubeconfig, count) => {
        readyAsked.push(count)
        return count === 1 ? Promise.resolve() : new Promise<void>((resolve) => (markReady = resolve))
      },
    }))
    await cluster.startServer()
    let added: string | undefined
    const adding = cluster.addNode().then((name) => (added = name))
    await vi.waitFor(() => expect(readyAsked).toEqual([1, 2]))
    expect(added).toBeUndefined()
    markReady()
    await adding
    expect(added).toBe('k3s-agent-1')
    expect(commands[0]).toEqual(['agent', '--node-name=k3s-agent-1'])
    expect(cluster.info.kubernetesVersion).toBe('v1.37.2+k3s1')
    expect(cluster.info.kubeconfig).toContain('server: https://127.0.0.1:46443')
    expect(cluster.info.ingressUrl).toBe('http://127.0.0.1:40080')
  })

  test('a failed agent start is not retried under the same node name', async () => {
    const commands = fakeStarts(['fail', 'ok'])
    const cluster = new K3sCluster('run1', settings, () => undefined, 'rancher/k3s:v1.37.2-k3s1', fakeDependencies())
    await cluster.startServer()
    await expect(cluster.addNode()).rejects.toThrow('Successfully registered node')
    expect(await cluster.addNode()).toBe('k3s-agent-2')
    expect(commands.map((c) => c[1])).toEqual(['--node-name=k3s-agent-1', '--node-name=k3s-agent-2'])
    expect(cluster.nodeCount()).toBe(2)
  })

  test('a failed start removes what it started, the network included', async () => {
    fakeStarts(['fail'])
    network.stop.mockClear()
    const cluster = new K3sCluster('run1', settings, () => undefined, 'rancher/k3s:v1.37.2-k3s1', fakeDependencies())
    await expect(startNodes(cluster, 2)).rejects.toThrow('not received')
    expect(network.stop).toHaveBeenCalledTimes(1)
  })
})

describe('versions and kubeconfig', () => {
  test.each([
    ['rancher/k3s:v1.37.2-k3s1', 'v1.37.2+k3s1'],
    ['registry.example:5000/rancher/k3s:v1.36.2-k3s1', 'v1.36.2+k3s1'],
    ['registry.example:5000/rancher/k3s', undefined],
    ['rancher/k3s@sha256:0123456789abcdef', undefined],
    ['rancher/k3s:latest', undefined],
  ])('%s names %s', (ref, version) => {
    expect(versionOfK3sImage(ref)).toBe(version)
  })

  test('the kubeconfig points at the published API port on the reachable host', () => {
    const raw = 'apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: AAA\n    server: https://127.0.0.1:6443\n  name: default\n'
    expect(kubeconfigForHost(raw, '127.0.0.1', 40123)).toContain('server: https://127.0.0.1:40123\n')
  })

  test('the nightly matrix names Kubernetes minors that its k3s images run', () => {
    const workflow = YAML.parse(readFileSync(path.join(import.meta.dirname, '../../.github/workflows/nightly.yml'), 'utf8'))
    const include = workflow.jobs.scenarios.strategy.matrix.include as Array<{ kubernetes: string; 'k3s-image': string }>
    for (const entry of include) expect(versionOfK3sImage(entry['k3s-image'])).toMatch(new RegExp(`^v${entry.kubernetes.replace('.', '\\.')}\\.`))
  })
})

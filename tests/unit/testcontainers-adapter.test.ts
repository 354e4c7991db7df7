// The one adapter for testcontainers' private Docker host config (lib/cluster/provider.ts): the
// fields it writes are the ones testcontainers itself fills and sends. An upgrade that moves them
// fails here, not as a cluster published on every interface or a node in the wrong cgroup namespace.
import { GenericContainer } from 'testcontainers'
import { describe, expect, test } from 'vitest'
import { hostConfigOf, publishedOn, withCgroupNamespace } from '../../lib/cluster/provider.js'

describe("testcontainers' host config", () => {
  test('the port bindings publishedOn rewrites are the ones withExposedPorts made', () => {
    const container = publishedOn(new GenericContainer('busybox').withExposedPorts(80, { container: 6443, host: 16443 }), '127.0.0.1')
    const bindings = hostConfigOf(container).PortBindings ?? {}
    expect(Object.keys(bindings).sort()).toEqual(['6443/tcp', '80/tcp'])
    for (const list of Object.values(bindings)) for (const binding of list) expect(binding.HostIp).toBe('127.0.0.1')
    expect(bindings['6443/tcp']![0]!.HostPort).toBe('16443')
  })

  test('the cgroup namespace is set on the same object', () => {
    const container = withCgroupNamespace(new GenericContainer('busybox').withPrivilegedMode(), 'private')
    expect(hostConfigOf(container)).toMatchObject({ CgroupnsMode: 'private', Privileged: true })
  })
})

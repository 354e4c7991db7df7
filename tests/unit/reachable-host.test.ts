import { createServer, type Server } from 'node:net'
import { afterEach, describe, expect, test } from 'vitest'
import { reachableHost, subjectAltName } from '../../lib/cluster/provider.js'

let server: Server | undefined
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())))

/** A port on 127.0.0.1 that accepts connections (a published port), or one that refuses them. */
async function loopbackPort(listening: boolean): Promise<number> {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const port = (probe.address() as { port: number }).port
  if (listening) server = probe
  else await new Promise<void>((resolve) => probe.close(() => resolve()))
  return port
}

describe('reachableHost', () => {
  test('"localhost" becomes 127.0.0.1 (published ports listen on IPv4)', async () => {
    expect(await reachableHost('localhost', await loopbackPort(false))).toBe('127.0.0.1')
  })

  test('the bridge gateway testcontainers guessed gives way to loopback when loopback answers', async () => {
    expect(await reachableHost('172.17.0.1', await loopbackPort(true))).toBe('127.0.0.1')
  })

  test("testcontainers' host stays when loopback refuses (a harness inside a container)", async () => {
    expect(await reachableHost('172.17.0.1', await loopbackPort(false))).toBe('172.17.0.1')
  })
})

test('subjectAltName uses IP: for addresses and DNS: for names', () => {
  expect(subjectAltName('172.17.0.1')).toBe('IP:172.17.0.1')
  expect(subjectAltName('::1')).toBe('IP:::1')
  expect(subjectAltName('docker.internal')).toBe('DNS:docker.internal')
})

// A scripted Kubernetes API server for unit tests: TLS on loopback (the clients speak only
// https), a kubeconfig that trusts it, and a handler the test supplies.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import https from 'node:https'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'

export interface FakeApiServer {
  kubeconfig: string
  close(): void
}

export async function startFakeApiServer(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<FakeApiServer> {
  const dir = mkdtempSync(path.join(tmpdir(), 'kube-scenarios-fake-api-'))
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${dir}/key.pem`, '-out', `${dir}/cert.pem`, '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' })
  const server = https.createServer({ key: readFileSync(`${dir}/key.pem`), cert: readFileSync(`${dir}/cert.pem`) }, handle)
  rmSync(dir, { recursive: true, force: true })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    kubeconfig: `apiVersion: v1
kind: Config
clusters: [{ name: fake, cluster: { server: "${url}", insecure-skip-tls-verify: true } }]
users: [{ name: fake, user: { token: t } }]
contexts: [{ name: fake, context: { cluster: fake, user: fake } }]
current-context: fake
`,
    close() {
      server.closeAllConnections()
      server.close()
    },
  }
}

// A cluster held by `kube-scenarios up` describes itself in its kubeconfig; a run through the
// kubeconfig provider reads that description back (NodePorts, Ingress, images, node control).
import { describe, expect, test } from 'vitest'
import YAML from 'yaml'
import { heldClusterText } from '../../bin/hold.js'
import { HELD_CLUSTER_EXTENSION, describeHeldCluster, heldClusterOf, type HeldCluster } from '../../lib/cluster/kubeconfig.js'

const KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
- name: kube-scenarios
  cluster: { server: "https://127.0.0.1:40001", certificate-authority-data: "AAAA" }
users:
- name: admin
  user: { client-certificate-data: "BBBB", client-key-data: "CCCC" }
contexts:
- name: kube-scenarios
  context: { cluster: kube-scenarios, user: admin }
current-context: kube-scenarios
`

const held: HeldCluster = {
  provider: 'local',
  runId: '20261129-abcdef',
  nodePortUrls: { '30080': 'http://127.0.0.1:40080' },
  ingressUrl: 'http://127.0.0.1:40081',
  imageOverrides: { 'nginx:1.27': 'localhost/kube-scenarios/nginx:1.27' },
  controlUrl: 'http://127.0.0.1:40999/?token=t',
}

describe('a held cluster in its kubeconfig', () => {
  test('round-trips beside the untouched clusters, users and contexts', () => {
    const written = describeHeldCluster(KUBECONFIG, held)
    expect(heldClusterOf(written)).toEqual(held)
    const { extensions, ...rest } = YAML.parse(written)
    expect(rest).toEqual(YAML.parse(KUBECONFIG))
    expect(extensions).toEqual([{ name: HELD_CLUSTER_EXTENSION, extension: held }])
    // Described twice (a restart of up), it keeps one description.
    expect(YAML.parse(describeHeldCluster(written, { ...held, runId: 'next' })).extensions).toHaveLength(1)
  })

  test('a plain kubeconfig describes no held cluster', () => {
    expect(heldClusterOf(KUBECONFIG)).toBeUndefined()
    expect(heldClusterOf('')).toBeUndefined()
  })

  test('up tells how to reach and stop it', () => {
    const text = heldClusterText(held, 'v1.37.2', '/tmp/k.yaml')
    for (const line of ['export KUBECONFIG=/tmp/k.yaml', 'run --cluster kubeconfig --kubeconfig /tmp/k.yaml', '30080 -> http://127.0.0.1:40080', 'Ingress:    http://127.0.0.1:40081', 'down --run 20261129-abcdef']) {
      expect(text).toContain(line)
    }
  })
})

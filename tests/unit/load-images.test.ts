// What loading an image into a cluster says and where it puts archives for nodes that join later:
// k3s imports its agent images folder at start (its airgap mechanism), the offline node imports
// its own folder before its kubelet starts (images/node/kube-node).
import { readFileSync } from 'node:fs'
import { describe, expect, test } from 'vitest'
import { ImageNotBuiltError, K3S_NODE_RUNTIME, LOCAL_NODE_RUNTIME, describeLoad, formatBytes } from '../../lib/cluster/images.js'
import { NOT_OURS_TO_LOAD } from '../../lib/cluster/kubeconfig.js'

describe('loading images', () => {
  test('a line per image and node: size, node, seconds; or that it was there already', () => {
    expect(describeLoad({ image: 'myapp:dev', bytes: 2_150_000, node: 'k3s-agent-1', seconds: 0.43 })).toBe('image myapp:dev (2.1 MB) -> node k3s-agent-1 in 0.4 s')
    expect(describeLoad({ image: 'myapp:dev', bytes: 2_150_000, node: 'k3s-server', seconds: 0, already: true })).toBe('image myapp:dev (2.1 MB) -> node k3s-server: already there')
    expect(formatBytes(1_350_000_000)).toBe('1.4 GB')
  })

  // Whether the folders are the ones the nodes import from is proven where nodes run: a node added
  // after a load runs the loaded image (scenarios/your-image.test.ts, on the provider of the run).
  test('the offline node imports the archives it was given before its kubelet starts, as a running node imports a load', () => {
    const kubeNode = readFileSync(new URL('../../images/node/kube-node', import.meta.url), 'utf8')
    const importAt = kubeNode.indexOf('for archive in "$NODE_IMAGE_ARCHIVES_DIR"/*.tar')
    expect(importAt).toBeGreaterThan(0)
    expect(importAt).toBeLessThan(kubeNode.indexOf('say "containerd up, images in place"'))
    // One import for both roads into a node (piped into a running one, from the folder into a
    // joining one): the same namespace (the kubelet's) and options, or a later node lacks an image
    // the others run.
    const atStart = /^\s*(ctr .*images import.*) "\$archive"/m.exec(kubeNode.slice(importAt))?.[1]?.split(/\s+/)
    expect(atStart).toEqual(LOCAL_NODE_RUNTIME.ctr.slice(0, -1))
    expect(LOCAL_NODE_RUNTIME.ctr.at(-1), 'a running node reads the archive from stdin').toBe('-')
    expect(K3S_NODE_RUNTIME.ctr.slice(0, 3), "k3s's CRI namespace").toEqual(['ctr', '-n', 'k8s.io'])
  })

  test('an image missing from Docker is named with what to build; a cluster not ours is refused with the reason', () => {
    expect(new ImageNotBuiltError(['myapp:dev']).message).toMatch(/^image myapp:dev is not in this machine's Docker, so nothing was loaded: build it first \(`docker build -t myapp:dev <folder>`; on a machine that pulls nothing, `FROM kube-scenarios\/busybox:1\.36`/)
    expect(NOT_OURS_TO_LOAD).toMatch(/did not start this cluster.*push the image to a registry its nodes pull from/)
  })
})

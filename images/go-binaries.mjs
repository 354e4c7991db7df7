// Every Go program the offline cluster runs, built from the Go module proxy (no other network).
// Static binaries (CGO off) so that they run in any of the Debian-based images.
import { $ } from 'zx'
import path from 'node:path'
import { IMAGES_DIR, cachedStep } from './lib/cache.mjs'

export const KUBERNETES_VERSION = 'v1.34.4'

const kubeVersionFlags = [
  `-X k8s.io/component-base/version.gitVersion=${KUBERNETES_VERSION}`,
  '-X k8s.io/component-base/version.gitMajor=1',
  '-X k8s.io/component-base/version.gitMinor=34',
  '-X k8s.io/component-base/version.gitTreeState=clean',
  `-X k8s.io/client-go/pkg/version.gitVersion=${KUBERNETES_VERSION}`,
  '-X k8s.io/client-go/pkg/version.gitMajor=1',
  '-X k8s.io/client-go/pkg/version.gitMinor=34',
].join(' ')

/**
 * module: a directory of images/ holding a go.mod that pins the versions (built with its packages);
 * install: `package@version` built with that module's own go.mod (go install).
 */
export const GO_PROGRAMS = [
  {
    name: 'kubernetes',
    module: 'go',
    ldflags: kubeVersionFlags,
    packages: [
      'k8s.io/kubernetes/cmd/kube-apiserver',
      'k8s.io/kubernetes/cmd/kube-controller-manager',
      'k8s.io/kubernetes/cmd/kube-scheduler',
      'k8s.io/kubernetes/cmd/kubelet',
      'k8s.io/kubernetes/cmd/kube-proxy',
      'k8s.io/kubernetes/cmd/kubectl',
      'go.etcd.io/etcd/server/v3',
    ],
    rename: { server: 'etcd' },
  },
  {
    name: 'cluster-programs',
    module: 'go',
    packages: ['./cmd/ingress-controller', './cmd/echoserver', './cmd/pause'],
  },
  {
    // A wrapper module: containerd's go.mod has exclude directives, which `go install pkg@v` refuses.
    name: 'containerd',
    module: 'containerd',
    packages: [
      'github.com/containerd/containerd/v2/cmd/containerd',
      'github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2',
      'github.com/containerd/containerd/v2/cmd/ctr',
    ],
  },
  { name: 'coredns', module: 'coredns', packages: ['.'] },
  { name: 'metrics-server', install: ['sigs.k8s.io/metrics-server/cmd/metrics-server@v0.8.0'] },
  { name: 'kube-router', install: ['github.com/cloudnativelabs/kube-router/v2/cmd/kube-router@v2.1.0'] },
  { name: 'local-path-provisioner', install: ['github.com/rancher/local-path-provisioner@v0.0.30'] },
]

/** Builds one program group; returns the directory holding its binaries. */
export async function buildGoProgram(program, log) {
  const moduleDir = program.module && path.join(IMAGES_DIR, program.module)
  const goVersion = (await $`go env GOVERSION`).stdout.trim()
  // Only what this group compiles: the module's pins and its own local packages (a change to
  // another program of the same module must not rebuild Kubernetes).
  const local = (program.packages ?? []).filter((p) => p.startsWith('.')).map((p) => path.join(moduleDir, p))
  const inputs = [goVersion, program, ...(moduleDir ? [path.join(moduleDir, 'go.mod'), path.join(moduleDir, 'go.sum'), ...local] : [])]
  const { outDir, cached } = await cachedStep(`go-${program.name}`, inputs, async (out) => {
    const env = { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-buildvcs=false -trimpath' }
    const ldflags = `-s -w ${program.ldflags ?? ''}`
    if (program.install) {
      await $({ env: { ...env, GOBIN: out }, quiet: true })`go install -ldflags ${ldflags} ${program.install}`
    } else {
      await $({ env, cwd: moduleDir, quiet: true })`go build -ldflags ${ldflags} -o ${out}/ ${program.packages}`
    }
    for (const [from, to] of Object.entries(program.rename ?? {})) {
      if (from !== to) await $`mv ${path.join(out, from)} ${path.join(out, to)}`
    }
  })
  log(`${program.name}: ${cached ? 'cached' : 'built'}`)
  return outDir
}

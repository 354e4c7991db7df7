// The images the offline cluster runs in pods, built from Debian packages and our Go binaries
// (no registry is reachable): each is a directory turned into an image by `docker import`, then
// all are saved into one docker-archive that the node imports into containerd at start.
import { $ } from 'zx'
import { chmod, copyFile, mkdir, rm, symlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import YAML from 'yaml'
import { cachedStep } from './lib/cache.mjs'
import { DNS_SERVICE_IP, INGRESS_NODE_PORT } from './lib/cluster-constants.mjs'
import { debianPackageFile, debianRootfs } from './lib/rootfs.mjs'

const $q = $({ quiet: true })

/** Debian packages the small images take files from (never shipped whole). */
const SOURCE_PACKAGES = ['nginx', 'libnginx-mod-http-headers-more-filter', 'apache2', 'ca-certificates']

const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
const HEADERS_MORE_MODULE = '/usr/lib/nginx/modules/ngx_http_headers_more_filter_module.so'

const localRef = (name, tag) => `localhost/kube-scenarios/${name}:${tag}`

/**
 * Every image: `upstream` lists the references it stands in for (the override map);
 * `fill(dir, ctx, image)` writes its filesystem into an empty directory; `go` names the Go binary
 * it ships (group in goBins, file name, path in the image); `users` adds accounts; the rest
 * (entrypoint, cmd, env, workdir, user, expose) is its image config.
 */
const IMAGES = [
  nginxImage('1.27', '1.27.5'),
  nginxImage('1.28', '1.28.0'),
  {
    name: 'busybox', tag: '1.36', upstream: ['busybox:1.36'],
    fill: withBusybox,
    cmd: ['sh'],
  },
  {
    name: 'debian', tag: '12', upstream: ['debian:12'],
    fill: debianSystem,
    cmd: ['bash'],
  },
  {
    name: 'echoserver', tag: '1.10', upstream: ['registry.k8s.io/echoserver:1.10'],
    go: { group: 'cluster-programs', binary: 'echoserver', at: '/usr/local/bin/echoserver' }, fill: goProgram,
    cmd: ['/usr/local/bin/echoserver'], expose: ['8080', '8443'],
  },
  {
    name: 'httpd', tag: '2.4', upstream: ['httpd:2.4'],
    users: { 'www-data': 33 }, // the official image's worker user
    fill: apacheHttpd,
    env: [`PATH=/usr/local/apache2/bin:${PATH_ENV.slice('PATH='.length)}`, 'HTTPD_PREFIX=/usr/local/apache2'],
    cmd: ['httpd-foreground'], workdir: '/usr/local/apache2', expose: ['80'],
  },
  {
    // The sandbox image of every pod: nothing but the binary, as upstream.
    name: 'pause', tag: '3.10', upstream: ['registry.k8s.io/pause:3.10'],
    go: { group: 'cluster-programs', binary: 'pause', at: '/pause' }, fill: copyGoBinary,
    entrypoint: ['/pause'], user: '65535:65535',
  },
  {
    name: 'coredns', tag: '1.12.4', upstream: ['registry.k8s.io/coredns/coredns:v1.12.4'],
    go: { group: 'coredns', binary: 'coredns', at: '/coredns' }, fill: goProgram,
    entrypoint: ['/coredns'], expose: ['53', '53/udp'],
  },
  {
    name: 'metrics-server', tag: '0.8.0', upstream: ['registry.k8s.io/metrics-server/metrics-server:v0.8.0'],
    go: { group: 'metrics-server', binary: 'metrics-server', at: '/metrics-server' }, fill: goProgram,
    entrypoint: ['/metrics-server'], user: '65534',
  },
  {
    // Upstream's manifests run it by name (`command: [local-path-provisioner, ...]`): keep it on PATH.
    name: 'local-path-provisioner', tag: '0.0.30', upstream: ['rancher/local-path-provisioner:v0.0.30'],
    go: { group: 'local-path-provisioner', binary: 'local-path-provisioner', at: '/usr/bin/local-path-provisioner' },
    fill: goProgram,
    cmd: ['local-path-provisioner'],
  },
  {
    name: 'ingress-controller', tag: '0.1', upstream: [],
    go: { group: 'cluster-programs', binary: 'ingress-controller', at: '/ingress-controller' }, fill: goProgram,
    entrypoint: ['/ingress-controller'], expose: ['80'],
  },
]

const refOf = (name) => {
  const image = IMAGES.find((i) => i.name === name)
  return localRef(image.name, image.tag)
}

/**
 * Builds every image the offline cluster runs in pods, saves them into one docker-archive tar
 * (what `ctr -n k8s.io images import` takes), cached by content hash.
 * @param {{ goBins: Record<string,string>, log: (line: string) => void }} opts
 *   goBins maps a program group name to a directory of static binaries.
 * @returns {Promise<{ archive: string, images: Record<string, string>, addons: string }>}
 *   archive: path of the tar; images: the image-override map, upstream reference -> local reference;
 *   addons: path of a directory of rendered addon manifests (YAML) to apply after the apiserver is up.
 */
export async function buildClusterImages({ goBins, log }) {
  const ctx = {
    sources: await debianRootfs('image-sources', SOURCE_PACKAGES, log),
    debian: await debianRootfs('debian-12', [], log),
    // Bookworm's busybox 1.35 crashes in `wget -T` (a timeout is how a blocked connection is
    // told from an open one); trixie's static 1.37 does not.
    busybox: await debianPackageFile('trixie', 'busybox-static', 'usr/bin/busybox', log),
    goBins,
  }
  const binaries = IMAGES.filter((i) => i.go).map((i) => goBinary(goBins, i.go))
  // Rootfs directories are named by the hash of their package lists: their names stand for them.
  const rootfsKeys = { sources: path.basename(path.dirname(ctx.sources)), debian: path.basename(path.dirname(ctx.debian)) }
  const inputs = [new URL(import.meta.url).pathname, rootfsKeys, ctx.busybox, ...binaries]
  const { outDir, cached } = await cachedStep('cluster-images', inputs, async (out) => {
    const staging = path.join(out, 'staging')
    for (const image of IMAGES) await buildImage(image, ctx, staging, log)
    const refs = IMAGES.map((i) => localRef(i.name, i.tag))
    await $q`docker save -o ${path.join(out, 'images.tar')} ${refs}`
    // The archive is the product; leaving the images in dockerd would only pile up old builds.
    await $q`docker rmi ${refs}`
    await rm(staging, { recursive: true, force: true })
    await writeAddons(path.join(out, 'addons'))
  })
  log(`cluster images: ${cached ? 'cached' : 'built'}`)
  return { archive: path.join(outDir, 'images.tar'), images: overrideMap(), addons: path.join(outDir, 'addons') }
}

function overrideMap() {
  return Object.fromEntries(IMAGES.flatMap((i) => i.upstream.map((ref) => [ref, localRef(i.name, i.tag)])))
}

async function buildImage(image, ctx, staging, log) {
  const dir = path.join(staging, image.name + '-' + image.tag)
  await mkdir(dir, { recursive: true })
  await image.fill(dir, ctx, image)
  const ref = localRef(image.name, image.tag)
  await $q`tar -C ${dir} --numeric-owner -c . | docker import ${importChanges(image).flatMap((c) => ['--change', c])} - ${ref}`
  log(`image ${ref}: built`)
}

/** Dockerfile-style instructions that `docker import` turns into the image config. */
function importChanges({ entrypoint, cmd, env = [], workdir, user, expose = [] }) {
  return [
    `ENV ${PATH_ENV}`,
    ...env.map((e) => `ENV ${e}`),
    ...(entrypoint ? [`ENTRYPOINT ${JSON.stringify(entrypoint)}`] : []),
    ...(cmd ? [`CMD ${JSON.stringify(cmd)}`] : []),
    ...(workdir ? [`WORKDIR ${workdir}`] : []),
    ...(user ? [`USER ${user}`] : []),
    ...expose.map((p) => `EXPOSE ${p}`),
  ]
}

// ---- image contents ----

/**
 * Debian's nginx laid out like the official image (config in conf.d, html in /usr/share/nginx,
 * logs to stdout/stderr). Both tags share the binary; they differ in the version they report
 * (Server header, /etc/image-version, NGINX_VERSION), as the upstream tags do.
 */
function nginxImage(tag, version) {
  return {
    name: 'nginx', tag, upstream: [`nginx:${tag}`],
    users: { nginx: 101 }, // the official image's worker user
    fill: async (dir, ctx, image) => {
      await withBusybox(dir, ctx, image)
      await copyBinary(ctx.sources, '/usr/sbin/nginx', dir)
      await copyBinary(ctx.sources, HEADERS_MORE_MODULE, dir)
      for (const file of [...NGINX_INCLUDES.map((f) => `/etc/nginx/${f}`), '/usr/share/nginx/html/index.html']) {
        await copyInto(dir, path.join(ctx.sources, file), file)
      }
      await writeFiles(dir, {
        '/etc/nginx/nginx.conf': nginxConf(version),
        '/etc/nginx/conf.d/default.conf': NGINX_DEFAULT_SERVER,
        '/usr/share/nginx/html/50x.html': NGINX_ERROR_PAGE,
        '/etc/image-version': `nginx ${version}\n`,
      })
      // Temp files go to /var/lib/nginx (compiled in); the pid file to /run.
      for (const d of ['/var/lib/nginx', '/var/cache/nginx', '/var/log/nginx', '/run']) await mkdir(path.join(dir, d), { recursive: true })
      await symlink('/dev/stdout', path.join(dir, 'var/log/nginx/access.log'))
      await symlink('/dev/stderr', path.join(dir, 'var/log/nginx/error.log'))
    },
    cmd: ['nginx', '-g', 'daemon off;'], env: [`NGINX_VERSION=${version}`], expose: ['80'],
  }
}

/** Files the official image has in /etc/nginx that configurations commonly include. */
const NGINX_INCLUDES = ['mime.types', 'fastcgi_params', 'scgi_params', 'uwsgi_params']

const nginxConf = (version) => `user  nginx;
worker_processes  auto;

error_log  /var/log/nginx/error.log notice;
pid        /run/nginx.pid;

load_module ${HEADERS_MORE_MODULE};

events {
    worker_connections  1024;
}

http {
    include       /etc/nginx/mime.types;
    default_type  application/octet-stream;

    log_format  main  '$remote_addr - $remote_user [$time_local] "$request" '
                      '$status $body_bytes_sent "$http_referer" '
                      '"$http_user_agent" "$http_x_forwarded_for"';

    access_log  /var/log/nginx/access.log  main;

    sendfile        on;
    keepalive_timeout  65;

    # The binary is Debian's nginx 1.22: report the version of the image it stands in for.
    server_tokens  off;
    more_set_headers  'Server: nginx/${version}';

    include /etc/nginx/conf.d/*.conf;
}
`

const NGINX_DEFAULT_SERVER = `server {
    listen       80;
    server_name  localhost;

    location / {
        root   /usr/share/nginx/html;
        index  index.html index.htm;
    }

    error_page   500 502 503 504  /50x.html;
    location = /50x.html {
        root   /usr/share/nginx/html;
    }
}
`

const NGINX_ERROR_PAGE = `<!DOCTYPE html>
<html>
<head>
<title>Error</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>An error occurred.</h1>
<p>Sorry, the page you are looking for is currently unavailable.<br/>
Please try again later.</p>
<p>If you are the system administrator of this resource then you should check
the error log for details.</p>
<p><em>Faithfully yours, nginx.</em></p>
</body>
</html>
`

/** Debian's Apache httpd 2.4 in the official httpd image's layout: /usr/local/apache2, `httpd-foreground`. */
async function apacheHttpd(dir, ctx, image) {
  await withBusybox(dir, ctx, image)
  await copyBinary(ctx.sources, '/usr/sbin/apache2', dir)
  for (const module of APACHE_MODULES) await copyBinary(ctx.sources, `/usr/lib/apache2/modules/mod_${module}.so`, dir)
  // glibc loads libgcc_s when a thread exits, so ldd does not list it.
  const libgcc = (await $q`chroot ${ctx.sources} ldconfig -p`).stdout.match(/libgcc_s\.so\.1 \(.*\) => (\S+)/)?.[1]
  if (!libgcc) throw new Error('libgcc_s.so.1 is not in the image sources rootfs')
  await copyBinary(ctx.sources, libgcc, dir)
  await copyInto(dir, path.join(ctx.sources, 'etc/mime.types'), '/etc/mime.types')
  // Debian's binary reads /etc/apache2/apache2.conf unless told otherwise; the official image's
  // path names the same file.
  await writeFiles(dir, {
    '/etc/apache2/apache2.conf': apacheConf(),
    // The page of httpd's own docroot (docs/docroot/index.html in its sources), as the official image serves it.
    '/usr/local/apache2/htdocs/index.html': '<html><body><h1>It works!</h1></body></html>\n',
    // By its full path: busybox's shell runs its own httpd applet for a bare `httpd`.
    '/usr/local/bin/httpd-foreground': '#!/bin/sh\nset -e\nrm -f /usr/local/apache2/logs/httpd.pid\nexec /usr/local/apache2/bin/httpd -DFOREGROUND "$@"\n',
  })
  await mkdir(path.join(dir, 'usr/local/apache2/conf'), { recursive: true })
  await mkdir(path.join(dir, 'usr/local/apache2/bin'), { recursive: true })
  await mkdir(path.join(dir, 'usr/local/apache2/logs'), { recursive: true })
  await symlink('/etc/apache2/apache2.conf', path.join(dir, 'usr/local/apache2/conf/httpd.conf'))
  await symlink('/usr/sbin/apache2', path.join(dir, 'usr/local/apache2/bin/httpd'))
  await chmod(path.join(dir, 'usr/local/bin/httpd-foreground'), 0o755)
}

/** What a static site needs, as the official image's configuration loads them (Debian's binary has unixd and log_config built in). */
const APACHE_MODULES = ['mpm_event', 'authz_core', 'authz_host', 'dir', 'mime']

const apacheConf = () => `ServerRoot "/usr/local/apache2"
Listen 80
${APACHE_MODULES.map((m) => `LoadModule ${m}_module /usr/lib/apache2/modules/mod_${m}.so`).join('\n')}
User www-data
Group www-data
ServerName localhost
DefaultRuntimeDir logs
PidFile logs/httpd.pid
DocumentRoot "/usr/local/apache2/htdocs"
<Directory />
    AllowOverride none
    Require all denied
</Directory>
<Directory "/usr/local/apache2/htdocs">
    Require all granted
</Directory>
DirectoryIndex index.html
ErrorLog /proc/self/fd/2
LogLevel warn
LogFormat "%h %l %u %t \\"%r\\" %>s %b" common
CustomLog /proc/self/fd/1 common
TypesConfig /etc/mime.types
`

/** A real Debian system (dpkg database included), minus what belongs to the build host. */
async function debianSystem(dir, ctx) {
  await $q`cp -a ${ctx.debian}/. ${dir}`
  // The runtime provides /dev and the resolver config; debootstrap copied the build host's.
  await $q`find ${path.join(dir, 'dev')} -mindepth 1 -delete`
  await rm(path.join(dir, 'etc/resolv.conf'), { force: true })
}

const goBinary = (goBins, { group, binary }) => path.join(goBins[group], binary)

async function copyGoBinary(dir, ctx, image) {
  await copyInto(dir, goBinary(ctx.goBins, image.go), image.go.at)
}

/** A static Go binary with what Go programs read from the system: CA certificates, users, /tmp. */
async function goProgram(dir, ctx, image) {
  await copyGoBinary(dir, ctx, image)
  await copyInto(dir, path.join(ctx.sources, '/etc/ssl/certs/ca-certificates.crt'), '/etc/ssl/certs/ca-certificates.crt')
  await writeAccounts(dir)
}

/**
 * busybox-static with every applet linked in /bin (like the official busybox image), the image's
 * `users` on top of the common accounts, /tmp.
 */
async function withBusybox(dir, ctx, { users } = {}) {
  const busybox = ctx.busybox
  await copyInto(dir, busybox, '/bin/busybox')
  const applets = (await $q`${busybox} --list`).stdout.split('\n').filter((a) => a && a !== 'busybox')
  for (const applet of applets) await symlink('busybox', path.join(dir, 'bin', applet))
  for (const d of ['root', 'home', 'var/tmp']) await mkdir(path.join(dir, d), { recursive: true })
  await writeAccounts(dir, users)
}

/** root, nobody and www-data (plus extras: name -> uid = gid), and a world-writable /tmp. */
async function writeAccounts(dir, extraUsers = {}) {
  const users = { root: 0, 'www-data': 33, ...extraUsers, nobody: 65534 }
  const home = (name) => (name === 'root' ? '/root' : '/nonexistent')
  const shell = (name) => (name === 'root' ? '/bin/sh' : '/bin/false')
  const groupName = (name) => (name === 'nobody' ? 'nogroup' : name)
  await writeFiles(dir, {
    '/etc/passwd': Object.entries(users).map(([n, id]) => `${n}:x:${id}:${id}:${n}:${home(n)}:${shell(n)}\n`).join(''),
    '/etc/group': Object.entries(users).map(([n, id]) => `${groupName(n)}:x:${id}:\n`).join(''),
  })
  await mkdir(path.join(dir, 'tmp'), { recursive: true })
  await chmod(path.join(dir, 'tmp'), 0o1777)
}

// ---- file helpers ----

/** Copies one file (mode included) to `target` inside the image directory. */
async function copyInto(dir, source, target) {
  await mkdir(path.join(dir, path.dirname(target)), { recursive: true })
  await copyFile(source, path.join(dir, target))
}

/**
 * Copies a dynamically linked binary (or module) from a rootfs with exactly the shared libraries
 * ldd reports, each at the path the loader asks for. Symlinks (some absolute) are resolved inside
 * the rootfs, hence chroot.
 */
async function copyBinary(rootfs, binary, dir) {
  const ldd = (await $q`chroot ${rootfs} ldd ${binary}`).stdout
  const libraries = [...ldd.matchAll(/(?:=> )?(\/\S+) \(0x/g)].map((m) => m[1])
  const files = [binary, ...libraries]
  const real = (await $q`chroot ${rootfs} realpath -e ${files}`).stdout.trim().split('\n')
  for (const [i, file] of files.entries()) await copyInto(dir, path.join(rootfs, real[i]), file)
}

async function writeFiles(dir, files) {
  for (const [file, content] of Object.entries(files)) {
    await mkdir(path.join(dir, path.dirname(file)), { recursive: true })
    await writeFile(path.join(dir, file), content)
  }
}

// ---- addon manifests ----

const CONTROL_PLANE_TOLERATIONS = [
  { key: 'CriticalAddonsOnly', operator: 'Exists' },
  { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' },
]

/** Written as <prefix>-<name>.yaml: the node applies them in file name order. */
async function writeAddons(dir) {
  const addons = {
    '10-coredns': corednsManifests(),
    '20-metrics-server': metricsServerManifests(),
    '30-local-path-provisioner': localPathManifests(),
    '40-ingress-controller': ingressControllerManifests(),
  }
  await mkdir(dir, { recursive: true })
  for (const [name, docs] of Object.entries(addons)) {
    await writeFile(path.join(dir, `${name}.yaml`), docs.map(toYaml).join('---\n'))
  }
}

// Plain YAML for people and every parser: no anchors for repeated objects, no folded lines.
const toYaml = (doc) => YAML.stringify(doc, { aliasDuplicateObjects: false, lineWidth: 0 })
const meta = (name, namespace, extra = {}) => ({ name, ...(namespace ? { namespace } : {}), ...extra })
const serviceAccount = (name, namespace) => ({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(name, namespace) })
const namespaceOf = (name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: meta(name) })
const rbac = 'rbac.authorization.k8s.io/v1'
const clusterRole = (name, rules, labels) => ({ apiVersion: rbac, kind: 'ClusterRole', metadata: meta(name, undefined, labels ? { labels } : {}), rules })
const rule = (apiGroups, resources, verbs) => ({ apiGroups, resources, verbs })

/** A (Cluster)RoleBinding of a ClusterRole or Role to a ServiceAccount. */
function binding({ kind = 'ClusterRoleBinding', name, namespace, roleKind = 'ClusterRole', role, account }) {
  return {
    apiVersion: rbac, kind, metadata: meta(name, namespace),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: roleKind, name: role },
    subjects: [{ kind: 'ServiceAccount', name: account.name, namespace: account.namespace }],
  }
}

/** A one-replica Deployment selecting on `labels`; images are preloaded, never pulled. */
function deployment({ name, namespace, labels, account, containers, volumes, pod = {} }) {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta(name, namespace, { labels }),
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: account,
          tolerations: CONTROL_PLANE_TOLERATIONS,
          ...pod,
          containers: containers.map((c) => ({ ...c, imagePullPolicy: 'Never' })),
          ...(volumes ? { volumes } : {}),
        },
      },
    },
  }
}

// No `forward`: the cluster has no upstream DNS to reach (and must send nothing off this
// machine); names outside the cluster get SERVFAIL at once. Without forward, `loop` has nothing
// to detect (with the node's loopback resolver it would crash CoreDNS).
const COREFILE = `.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    cache 30
    reload
    loadbalance
}
`

function corednsManifests() {
  const ns = 'kube-system'
  const labels = { 'k8s-app': 'kube-dns' }
  const account = { name: 'coredns', namespace: ns }
  return [
    serviceAccount('coredns', ns),
    clusterRole('system:coredns', [
      rule([''], ['endpoints', 'services', 'pods', 'namespaces'], ['list', 'watch']),
      rule(['discovery.k8s.io'], ['endpointslices'], ['list', 'watch']),
    ]),
    binding({ name: 'system:coredns', role: 'system:coredns', account }),
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('coredns', ns), data: { Corefile: COREFILE } },
    deployment({
      name: 'coredns', namespace: ns, labels, account: 'coredns',
      pod: { priorityClassName: 'system-cluster-critical', dnsPolicy: 'Default', nodeSelector: { 'kubernetes.io/os': 'linux' } },
      containers: [{
        name: 'coredns',
        image: refOf('coredns'),
        args: ['-conf', '/etc/coredns/Corefile'],
        resources: { limits: { memory: '170Mi' }, requests: { cpu: '100m', memory: '70Mi' } },
        volumeMounts: [{ name: 'config-volume', mountPath: '/etc/coredns', readOnly: true }],
        ports: [
          { name: 'dns', containerPort: 53, protocol: 'UDP' },
          { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' },
          { name: 'metrics', containerPort: 9153, protocol: 'TCP' },
        ],
        securityContext: {
          allowPrivilegeEscalation: false,
          capabilities: { add: ['NET_BIND_SERVICE'], drop: ['ALL'] },
          readOnlyRootFilesystem: true,
        },
        livenessProbe: {
          httpGet: { path: '/health', port: 8080, scheme: 'HTTP' },
          initialDelaySeconds: 60, timeoutSeconds: 5, successThreshold: 1, failureThreshold: 5,
        },
        // Probed every 2 s as k3s does (the default 10 s holds a new cluster back by up to 10 s).
        readinessProbe: { httpGet: { path: '/ready', port: 8181, scheme: 'HTTP' }, periodSeconds: 2 },
      }],
      volumes: [{ name: 'config-volume', configMap: { name: 'coredns', items: [{ key: 'Corefile', path: 'Corefile' }] } }],
    }),
    {
      apiVersion: 'v1', kind: 'Service',
      metadata: meta('kube-dns', ns, {
        labels: { ...labels, 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS' },
        annotations: { 'prometheus.io/port': '9153', 'prometheus.io/scrape': 'true' },
      }),
      spec: {
        selector: labels,
        clusterIP: DNS_SERVICE_IP,
        ports: [
          { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
          { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
          { name: 'metrics', port: 9153, protocol: 'TCP', targetPort: 9153 },
        ],
      },
    },
  ]
}

/** Upstream's components.yaml for v0.8.0, plus --kubelet-insecure-tls (kubelets have self-signed certs). */
function metricsServerManifests() {
  const ns = 'kube-system'
  const labels = { 'k8s-app': 'metrics-server' }
  const account = { name: 'metrics-server', namespace: ns }
  return [
    { ...serviceAccount('metrics-server', ns), metadata: meta('metrics-server', ns, { labels }) },
    clusterRole('system:aggregated-metrics-reader', [rule(['metrics.k8s.io'], ['pods', 'nodes'], ['get', 'list', 'watch'])], {
      ...labels,
      'rbac.authorization.k8s.io/aggregate-to-admin': 'true',
      'rbac.authorization.k8s.io/aggregate-to-edit': 'true',
      'rbac.authorization.k8s.io/aggregate-to-view': 'true',
    }),
    clusterRole('system:metrics-server', [
      rule([''], ['nodes/metrics'], ['get']),
      rule([''], ['pods', 'nodes'], ['get', 'list', 'watch']),
    ], labels),
    binding({
      kind: 'RoleBinding', name: 'metrics-server-auth-reader', namespace: ns,
      roleKind: 'Role', role: 'extension-apiserver-authentication-reader', account,
    }),
    binding({ name: 'metrics-server:system:auth-delegator', role: 'system:auth-delegator', account }),
    binding({ name: 'system:metrics-server', role: 'system:metrics-server', account }),
    {
      apiVersion: 'v1', kind: 'Service', metadata: meta('metrics-server', ns, { labels }),
      spec: { selector: labels, ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 'https', appProtocol: 'https' }] },
    },
    deployment({
      name: 'metrics-server', namespace: ns, labels, account: 'metrics-server',
      pod: { priorityClassName: 'system-cluster-critical', nodeSelector: { 'kubernetes.io/os': 'linux' } },
      containers: [{
        name: 'metrics-server',
        image: refOf('metrics-server'),
        args: [
          '--cert-dir=/tmp',
          '--secure-port=10250',
          '--kubelet-preferred-address-types=InternalIP',
          '--kubelet-use-node-status-port',
          '--metric-resolution=15s',
          '--kubelet-insecure-tls',
        ],
        resources: { requests: { cpu: '100m', memory: '200Mi' } },
        ports: [{ name: 'https', containerPort: 10250, protocol: 'TCP' }],
        readinessProbe: {
          httpGet: { path: '/readyz', port: 'https', scheme: 'HTTPS' },
          periodSeconds: 10, failureThreshold: 3, initialDelaySeconds: 20,
        },
        livenessProbe: { httpGet: { path: '/livez', port: 'https', scheme: 'HTTPS' }, periodSeconds: 10, failureThreshold: 3 },
        securityContext: {
          readOnlyRootFilesystem: true,
          runAsNonRoot: true,
          runAsUser: 1000,
          allowPrivilegeEscalation: false,
          seccompProfile: { type: 'RuntimeDefault' },
          capabilities: { drop: ['ALL'] },
        },
        volumeMounts: [{ name: 'tmp-dir', mountPath: '/tmp' }],
      }],
      volumes: [{ name: 'tmp-dir', emptyDir: {} }],
    }),
    {
      apiVersion: 'apiregistration.k8s.io/v1', kind: 'APIService', metadata: meta('v1beta1.metrics.k8s.io', undefined, { labels }),
      spec: {
        service: { name: 'metrics-server', namespace: ns },
        group: 'metrics.k8s.io',
        version: 'v1beta1',
        insecureSkipTLSVerify: true,
        groupPriorityMinimum: 100,
        versionPriority: 100,
      },
    },
  ]
}

/** Upstream's deploy/local-path-storage.yaml for v0.0.30, with volumes under /var and our busybox as helper. */
function localPathManifests() {
  const ns = 'local-path-storage'
  const accountName = 'local-path-provisioner-service-account'
  const account = { name: accountName, namespace: ns }
  const helperPod = {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'helper-pod' },
    spec: {
      priorityClassName: 'system-node-critical',
      tolerations: [{ key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' }],
      containers: [{ name: 'helper-pod', image: refOf('busybox'), imagePullPolicy: 'Never' }],
    },
  }
  const config = { nodePathMap: [{ node: 'DEFAULT_PATH_FOR_NON_LISTED_NODES', paths: ['/var/local-path-provisioner'] }] }
  return [
    namespaceOf(ns),
    serviceAccount(accountName, ns),
    {
      apiVersion: rbac, kind: 'Role', metadata: meta('local-path-provisioner-role', ns),
      rules: [rule([''], ['pods'], ['get', 'list', 'watch', 'create', 'patch', 'update', 'delete'])],
    },
    clusterRole('local-path-provisioner-role', [
      rule([''], ['nodes', 'persistentvolumeclaims', 'configmaps', 'pods', 'pods/log'], ['get', 'list', 'watch']),
      rule([''], ['persistentvolumes'], ['get', 'list', 'watch', 'create', 'patch', 'update', 'delete']),
      rule([''], ['events'], ['create', 'patch']),
      rule(['storage.k8s.io'], ['storageclasses'], ['get', 'list', 'watch']),
    ]),
    binding({ kind: 'RoleBinding', name: 'local-path-provisioner-bind', namespace: ns, roleKind: 'Role', role: 'local-path-provisioner-role', account }),
    binding({ name: 'local-path-provisioner-bind', role: 'local-path-provisioner-role', account }),
    deployment({
      name: 'local-path-provisioner', namespace: ns, labels: { app: 'local-path-provisioner' }, account: accountName,
      containers: [{
        name: 'local-path-provisioner',
        image: refOf('local-path-provisioner'),
        command: [
          'local-path-provisioner', '--debug', 'start',
          '--config', '/etc/config/config.json',
          '--helper-image', refOf('busybox'),
        ],
        volumeMounts: [{ name: 'config-volume', mountPath: '/etc/config/' }],
        env: [
          { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
          { name: 'CONFIG_MOUNT_PATH', value: '/etc/config/' },
        ],
      }],
      volumes: [{ name: 'config-volume', configMap: { name: 'local-path-config' } }],
    }),
    {
      apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass',
      metadata: meta('local-path', undefined, { annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } }),
      provisioner: 'rancher.io/local-path',
      volumeBindingMode: 'WaitForFirstConsumer',
      reclaimPolicy: 'Delete',
    },
    {
      apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('local-path-config', ns),
      data: {
        'config.json': JSON.stringify(config, null, 2),
        setup: '#!/bin/sh\nset -eu\nmkdir -m 0777 -p "$VOL_DIR"\n',
        teardown: '#!/bin/sh\nset -eu\nrm -rf "$VOL_DIR"\n',
        'helperPod.yaml': toYaml(helperPod),
      },
    },
  ]
}

function ingressControllerManifests() {
  const ns = 'ingress-system'
  const labels = { app: 'ingress-controller' }
  const account = { name: 'ingress-controller', namespace: ns }
  const watch = ['get', 'list', 'watch']
  return [
    namespaceOf(ns),
    serviceAccount('ingress-controller', ns),
    clusterRole('kube-scenarios:ingress-controller', [
      rule(['networking.k8s.io'], ['ingresses', 'ingressclasses'], watch),
      rule(['networking.k8s.io'], ['ingresses/status'], ['update']),
      rule([''], ['services'], watch),
      rule(['discovery.k8s.io'], ['endpointslices'], watch),
    ]),
    binding({ name: 'kube-scenarios:ingress-controller', role: 'kube-scenarios:ingress-controller', account }),
    {
      apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass',
      metadata: meta('kube-scenarios', undefined, { annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } }),
      spec: { controller: 'kube-scenarios.dev/ingress-controller' },
    },
    deployment({
      name: 'ingress-controller', namespace: ns, labels, account: 'ingress-controller',
      containers: [{
        name: 'controller',
        image: refOf('ingress-controller'),
        env: [{ name: 'NODE_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } }],
        ports: [{ name: 'http', containerPort: 80, protocol: 'TCP' }],
        readinessProbe: { httpGet: { path: '/healthz', port: 10254 }, periodSeconds: 2 },
        livenessProbe: { httpGet: { path: '/healthz', port: 10254 }, periodSeconds: 10, failureThreshold: 3 },
      }],
    }),
    {
      apiVersion: 'v1', kind: 'Service', metadata: meta('ingress', ns, { labels }),
      spec: { type: 'NodePort', selector: labels, ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP', nodePort: INGRESS_NODE_PORT }] },
    },
  ]
}

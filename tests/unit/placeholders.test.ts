import { expect, test } from 'vitest'
import { DNS_SERVICE_IP, INGRESS_NODE_PORT } from '../../images/lib/cluster-constants.mjs'
import { fillPlaceholders } from '../../images/lib/placeholders.mjs'

test('config files and add-ons get the shared values, the pod images and their own values', () => {
  const text = 'clusterIP: @DNS_SERVICE_IP@\nnodePort: @INGRESS_NODE_PORT@\nimage: @image:coredns@\nServer: nginx/@NGINX_VERSION@\n'
  expect(fillPlaceholders('x.yaml', text, { images: { coredns: 'localhost/kube-scenarios/coredns:1.15.0' }, values: { NGINX_VERSION: '1.27.5' } })).toBe(
    `clusterIP: ${DNS_SERVICE_IP}\nnodePort: ${INGRESS_NODE_PORT}\nimage: localhost/kube-scenarios/coredns:1.15.0\nServer: nginx/1.27.5\n`,
  )
})

test('a placeholder that names nothing is refused, naming the file', () => {
  expect(() => fillPlaceholders('images/addons/10-coredns.yaml', 'ip: @DNS_IP@')).toThrow('images/addons/10-coredns.yaml: @DNS_IP@ names nothing in images/lib/cluster-constants.mjs')
  expect(() => fillPlaceholders('images/addons/10-coredns.yaml', 'image: @image:corends@')).toThrow('@image:corends@ names no pod image')
})

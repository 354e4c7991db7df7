export declare const KUBERNETES_MINOR: string
export declare const KUBERNETES_VERSION: string
export declare const DEFAULT_K3S_IMAGE: string
export declare const RUN_LABEL: 'kube-scenarios.dev/run'
export declare const MANAGED_LABEL: 'kube-scenarios.dev/managed'
export declare const NODE_LABEL: 'kube-scenarios.dev/node'
export declare function runNetworkName(runId: string): string
export declare const POD_CIDR: string
export declare const SERVICE_CIDR: string
export declare const API_SERVICE_IP: string
export declare const DNS_SERVICE_IP: string
export declare const MAPPED_NODE_PORTS: readonly number[]
export declare const INGRESS_NODE_PORT: number
export declare const NODE_IMAGE_ARCHIVES_DIR: string
export declare const K3S_IMAGE_ARCHIVES_DIR: string
export declare const BASE_IMAGES: { readonly busybox: string; readonly debian: string }

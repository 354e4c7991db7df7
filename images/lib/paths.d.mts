export declare const CACHE_DIR: string
export declare const LOCAL_MANIFEST: string

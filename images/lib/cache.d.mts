export declare const CACHE_DIR: string
export declare const IMAGES_DIR: string
export declare function sourcesHash(): Promise<string>
export declare function hashInputs(inputs: unknown[]): Promise<string>

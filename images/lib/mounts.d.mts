export declare function mountsUnder(dir: string, mountinfo?: string): string[]
export declare function unmountUnder(dir: string): string[]
export declare function clearCommand(dir: string): string

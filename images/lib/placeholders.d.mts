export declare const CONSTANTS_FILE: string
export declare function fillPlaceholders(origin: string, text: string, more?: { images?: Record<string, string>; values?: Record<string, string> }): string

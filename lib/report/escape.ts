// Everything that reaches the report from a cluster or a test (pod logs, Events, messages, names)
// is untrusted text: it goes into HTML and SVG only through these functions.

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/** Text made safe for HTML/SVG element content and quoted attribute values. */
export function escapeHtml(text: unknown): string {
  return String(text ?? '').replace(/[&<>"']/g, (c) => ENTITIES[c]!)
}

/** Terminal colour codes removed (vitest colours its diffs and messages). */
export function stripAnsi(text: string): string {
  return text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '')
}

/** A fragment id made only of safe characters ("S2", "scaling"). */
export function anchorId(...parts: string[]): string {
  return parts.map((p) => p.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')).join('--')
}

/** Text made safe for XML (JUnit): escaped, without the control characters XML 1.0 forbids. */
export function escapeXml(text: unknown): string {
  return escapeHtml(stripAnsi(String(text ?? ''))).replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]/g, '')
}

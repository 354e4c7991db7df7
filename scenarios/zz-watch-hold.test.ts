// Ad-hoc proof for issue 29 (not committed): a watch held for 5 minutes on client-node 2.
import { describe, expect } from 'vitest'
import { useScenario } from '../lib/index.js'

const s = useScenario('watch-hold')

describe('watch-hold', () => {
  s.test('a quiet watch held 5 minutes resumes without a gap', async () => {
    let gaps = 0
    let changes = 0
    const start = Date.now()
    await s.during([{ selection: { apiVersion: 'v1', kind: 'Pod', namespace: s.namespace }, onGap: () => void gaps++, onChange: () => void changes++ }], async () => {
      await new Promise((r) => setTimeout(r, 5 * 60_000))
    })
    const interrupted = s.timeline.entries.filter((e) => e.type === 'note' && /watch interrupted/.test(String((e as { text?: string }).text))).length
    console.log(`held ${((Date.now() - start) / 1000).toFixed(0)} s: gaps=${gaps} changes=${changes} interruptions=${interrupted}`)
    expect(gaps).toBe(0)
    expect(interrupted).toBe(0)
  }, 10 * 60_000)
})

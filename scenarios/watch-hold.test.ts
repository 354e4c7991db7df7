// The harness's own claim about long observations: client-node 2 aborts a watch that delivers
// nothing for 30 s, and a quiet namespace delivers nothing. A watch held well past that resumes
// from the server's bookmarks (lib/wait.ts asks the server to end each watch first): no
// interruption, no gap, the claim decided. Without that, this run sees an interruption every ~30 s
// (measured: 9 in 5 minutes).
import { describe, expect } from 'vitest'
import { useScenario } from '../lib/index.js'

const s = useScenario('watch-hold')
const HOLD_MS = 75_000

describe('watch-hold', () => {
  s.test('a watch of a quiet namespace held 75 s (past the client\'s 30 s abort) is never interrupted and has no gap', async () => {
    let gaps = 0
    await s.during([{ selection: { apiVersion: 'v1', kind: 'Pod', namespace: s.namespace }, onGap: () => void gaps++ }], () =>
      s.step(`hold the watch ${HOLD_MS / 1000} s`, () => new Promise((resolve) => setTimeout(resolve, HOLD_MS))),
    )
    const interruptions = s.timeline.entries.filter((e) => e.type === 'note' && /watch interrupted/.test(e.text))
    expect(interruptions.map((e) => (e.type === 'note' ? e.text : '')), 'the watch was interrupted').toEqual([])
    expect(gaps).toBe(0)
  })
})

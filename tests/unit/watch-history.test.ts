import { describe, expect, test } from 'vitest'
import { job } from './job-objects.js'
import { HistoryTimeoutError, WatchHistory } from '../../lib/observe/watch-history.js'


describe('WatchHistory', () => {
  test('until resolves at once when the events already satisfy it, or on the event that does', async () => {
    const history = new WatchHistory()
    history.record([], 'ADDED', job('a', '1'))
    await expect(history.until('a was added', (events) => (events.length === 1 ? 'yes' : undefined))).resolves.toBe('yes')
    const second = history.until('b was added', (events) => events.find((e) => e.object.metadata.name === 'b')?.type)
    history.record([], 'ADDED', job('b', '2'))
    await expect(second).resolves.toBe('ADDED')
  })

  test('a timeout names what was awaited and lists the recorded events', async () => {
    const history = new WatchHistory(() => Date.UTC(2026, 0, 1, 12, 0, 0))
    history.record([], 'DELETED', job('a', '1'))
    const error = await history.until('b was added', () => undefined, { timeoutMs: 10 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(HistoryTimeoutError)
    expect((error as Error).message).toBe('timed out after 0 s waiting until b was added\nrecorded events:\n  12:00:00.000 DELETED Job/a')
  })

  test('a check that throws rejects the wait', async () => {
    const history = new WatchHistory()
    await expect(history.until('x', () => { throw new Error('bad claim') })).rejects.toThrow('bad claim')
  })
})

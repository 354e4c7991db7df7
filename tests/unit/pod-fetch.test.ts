import { describe, expect, test } from 'vitest'
import { wgetOutcome } from '../../lib/traffic/pods.js'

const failed = (stderr: string) => wgetOutcome({ stdout: '', stderr, exitCode: 1 })

describe('wgetOutcome (busybox wget run in a pod)', () => {
  test('a zero exit is a response with its body', () => {
    expect(wgetOutcome({ stdout: '<title>Welcome to nginx!</title>', stderr: '', exitCode: 0 })).toEqual({
      outcome: 'ok',
      body: '<title>Welcome to nginx!</title>',
      message: '',
    })
  })

  test.each([
    ['wget: download timed out\n', 'timeout'],
    ["wget: can't connect to remote host (10.96.12.7): Connection refused\n", 'refused'],
    ["wget: can't connect to remote host (10.244.1.5): No route to host\n", 'unreachable'],
    ['wget: server returned error: HTTP/1.1 404 Not Found\n', 'http-error'],
    ["wget: bad address 'nginx-svc:8080'\n", 'dns'],
    ['', 'failed'],
  ])('%j is %s', (stderr, outcome) => {
    expect(failed(stderr).outcome).toBe(outcome)
  })

  // NetworkPolicy checks count timeouts and refusals as "blocked": a name that does not resolve
  // must stay distinguishable, or a broken Service would pass for an enforced policy.
  test('a DNS failure is neither a timeout nor a refusal, and keeps its message', () => {
    expect(failed("wget: bad address 'nginx-svc:8080'")).toEqual({ outcome: 'dns', body: '', message: "wget: bad address 'nginx-svc:8080'" })
  })

  test('a failure without output reports the exit code', () => {
    expect(wgetOutcome({ stdout: '', stderr: '', exitCode: 137 }).message).toBe('exit code 137')
  })
})

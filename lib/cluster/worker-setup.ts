// vitest setup file of the scenarios project, run in each test worker: a worker whose run's main
// process died (even by SIGKILL, which no handler sees) exits instead of holding watches on a
// cluster the reaper is removing. Forked workers learn it from their IPC channel closing.
// It runs before every file of the worker (files share the worker's modules): one listener is enough.
const registered = Symbol.for('kube-scenarios.exit-on-disconnect')
const worker = process as NodeJS.Process & { [registered]?: true }
if (process.send && !worker[registered]) {
  worker[registered] = true
  process.once('disconnect', () => process.exit(1))
}

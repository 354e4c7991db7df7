// vitest setup file of the scenarios project, run in each test worker: a worker whose run's main
// process died (even by SIGKILL, which no handler sees) exits instead of holding watches on a
// cluster the reaper is removing. Forked workers learn it from their IPC channel closing.
if (process.send) process.once('disconnect', () => process.exit(1))

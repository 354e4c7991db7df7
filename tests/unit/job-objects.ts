// A Job as a watch delivers it, for the unit tests of lib/jobs.ts and lib/watch-history.ts.
import type { ObservedObject } from '../../lib/observe/watch.js'

export const job = (name: string, uid: string, outcome?: 'Complete' | 'Failed'): ObservedObject => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name, uid, resourceVersion: '1' },
  status: outcome ? { conditions: [{ type: outcome, status: 'True' }] } : {},
})

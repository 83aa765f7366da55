import type { Rejection, TrackedEvent } from '@leadscore/events';
import { identityIssue } from '@leadscore/identity';

/**
 * The collector refuses a message that names nobody the ingest worker could give it to, by the worker's own rule
 * (identityIssue), so that what the collector takes is always something the worker can place. Passed to intake as
 * its `check` by every route that makes events.
 */
export function refuseWithoutIdentity(event: TrackedEvent): Rejection | undefined {
  const issue = identityIssue(event);
  return issue ? { reason: 'no_identity', issues: [issue] } : undefined;
}

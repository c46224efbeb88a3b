import { ThreadTreated } from '../../events/index.ts';
import { eventFunction } from '../../shared/function-model/declaration.ts';

export const declaration = eventFunction({
  name: 'untreated-index',
  summary: 'A treated thread may take the practitioner out of the digest index',
  rule: { name: 'thread-treated-untreated-index', events: [ThreadTreated] },
  access: {
    // Reads the counters (and ConditionChecks them); writes only its DIGEST_DUE entry.
    table: { read: ['digestDue', 'practitionerCounters'], write: ['digestDue'] },
  },
});

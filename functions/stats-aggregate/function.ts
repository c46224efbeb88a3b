import { MessageReceived, ThreadTreated } from '../../events/index.ts';
import { eventFunction } from '../../shared/function-model/declaration.ts';

export const declaration = eventFunction({
  name: 'stats-aggregate',
  summary:
    "Keeps each practitioner's per-day time-to-treat aggregates from the events (replays change nothing)",
  rule: { name: 'requests-stats-aggregate', events: [MessageReceived, ThreadTreated] },
  access: { table: { read: ['practitionerStats'], write: ['practitionerStats'] } },
});

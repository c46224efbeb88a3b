import { DueWorkShardRequested } from '../../events/index.ts';
import { eventFunction } from '../../shared/function-model/declaration.ts';
import { DUE_WORK_RUNNER_ACCESS } from '../due-work-sweep/function.ts';

export const declaration = eventFunction({
  name: 'due-work-worker',
  summary: 'Drains one busy shard of the due-work queue for a time budget, then hands the rest on',
  rule: { name: 'due-work-worker', events: [DueWorkShardRequested] },
  // The tick's runners, nothing more: it runs the same work, only more of it.
  access: DUE_WORK_RUNNER_ACCESS,
});

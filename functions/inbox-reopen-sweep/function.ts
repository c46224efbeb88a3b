import { InboxOpened } from '../../events/index.ts';
import { scheduledFunction } from '../../shared/function-model/declaration.ts';

export const declaration = scheduledFunction({
  name: 'inbox-reopen-sweep',
  summary: 'Reopens the messaging whose reopening date has come',
  schedule: { name: 'inbox-reopen', everyMinutes: 5 },
  access: {
    table: { read: ['settings'], write: ['settings'], indexes: ['gsi5'], appendsAudit: true },
    emits: [InboxOpened],
  },
});

import { InboxClosed, InboxOpened } from '../../events/index.ts';
import { httpFunction } from '../../shared/function-model/declaration.ts';
import { settingsPatchSchema } from '../../shared/http/practitioner-schemas.ts';

export const declaration = httpFunction({
  name: 'practitioner-update-settings',
  summary: 'Change some settings (answers the whole settings)',
  method: 'PATCH',
  path: '/v1/practitioner/settings',
  role: 'practitioner',
  scope: 'settings',
  body: settingsPatchSchema,
  responses: { 200: 'settings' },
  auditAs: 'settings.updated',
  access: {
    table: {
      read: ['delegateGrant', 'digestDue', 'practitionerCounters', 'settings'],
      write: ['digestDue', 'practitionerCounters', 'settings'],
      appendsAudit: true,
    },
    emits: [InboxClosed, InboxOpened],
  },
});

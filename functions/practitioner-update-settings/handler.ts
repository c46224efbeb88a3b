import { settingsPatchSchema } from '../../shared/http/practitioner-schemas.ts';
import { httpRoute } from '../../shared/http/route.ts';
import { updateSettings } from '../../shared/use-cases/practitioner-admin.ts';

export const handler = httpRoute(
  { role: 'practitioner', body: settingsPatchSchema, audit: 'settings.updated' },
  ({ callerId, body }, deps) =>
    updateSettings(deps, { role: 'practitioner', practitionerId: callerId }, body),
);

import { httpRoute } from '../../shared/http/route.ts';
import { getSettings } from '../../shared/use-cases/practitioner-admin.ts';

export const handler = httpRoute({ role: 'practitioner' }, ({ callerId }, deps) =>
  getSettings(deps, { role: 'practitioner', practitionerId: callerId }),
);

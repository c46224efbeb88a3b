import { httpRoute } from '../../shared/http/route.ts';
import { updateSettings } from '../../shared/use-cases/practitioner-admin.ts';
import { declaration } from './function.ts';

export const handler = httpRoute(declaration, ({ callerId, body }, deps) =>
  updateSettings(deps, { role: 'practitioner', practitionerId: callerId }, body),
);

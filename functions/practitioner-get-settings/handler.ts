import { httpRoute } from '../../shared/http/route.ts';
import { getSettings } from '../../shared/use-cases/practitioner-admin.ts';
import { declaration } from './function.ts';

export const handler = httpRoute(declaration, ({ callerId }, deps) =>
  getSettings(deps, { role: 'practitioner', practitionerId: callerId }),
);

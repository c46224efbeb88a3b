import { httpRoute } from '../../shared/http/route.ts';
import { listDelegates } from '../../shared/use-cases/delegation.ts';
import { declaration } from './function.ts';

export const handler = httpRoute(declaration, ({ callerId, query }, deps) =>
  listDelegates(deps, { role: 'practitioner', practitionerId: callerId }, query),
);

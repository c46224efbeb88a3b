import { httpRoute } from '../../shared/http/route.ts';
import { removeDelegate } from '../../shared/use-cases/delegation.ts';
import { declaration } from './function.ts';

export const handler = httpRoute(declaration, async ({ callerId, params }, deps) => {
  await removeDelegate(deps, { role: 'practitioner', practitionerId: callerId }, params.assistantId);
  return undefined;
});

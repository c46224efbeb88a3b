import { httpRoute, withStatus } from '../../shared/http/route.ts';
import { putDelegate } from '../../shared/use-cases/delegation.ts';
import { declaration } from './function.ts';

export const handler = httpRoute(declaration, async ({ callerId, params, body }, deps) => {
  const { delegate, created } = await putDelegate(
    deps,
    { role: 'practitioner', practitionerId: callerId },
    params.assistantId,
    body,
  );
  return withStatus(created ? 201 : 200, delegate);
});

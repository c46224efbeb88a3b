import { httpRoute } from '../../shared/http/route.ts';
import { assignThread } from '../../shared/use-cases/triage.ts';
import { declaration } from './function.ts';

export const handler = httpRoute(declaration, ({ callerId, params, body }, deps) =>
  assignThread(deps, { role: 'practitioner', practitionerId: callerId }, params.threadId, body.assigneeId),
);

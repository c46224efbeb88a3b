import { httpRoute } from '../../shared/http/route.ts';
import { listPractitionerThreads } from '../../shared/use-cases/practitioner-messaging.ts';
import { declaration } from './function.ts';

/** `assignee=me` is whoever calls: the practitioner, or the assistant acting for them. */
export const handler = httpRoute(declaration, ({ callerId, assistant, query }, deps) =>
  listPractitionerThreads(
    deps,
    { role: 'practitioner', practitionerId: callerId },
    query,
    assistant?.id ?? callerId,
  ),
);

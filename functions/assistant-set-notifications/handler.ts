import { httpRoute } from '../../shared/http/route.ts';
import { setDelegateNotifications } from '../../shared/use-cases/delegate-notifications.ts';
import { declaration } from './function.ts';

export const handler = httpRoute(declaration, ({ callerId, identity, params, body }, deps) =>
  setDelegateNotifications(deps, callerId, identity, params.practitionerId, body.notify),
);

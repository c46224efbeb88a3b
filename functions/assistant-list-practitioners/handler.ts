import { httpRoute } from '../../shared/http/route.ts';
import { listPractitionersOfAssistant } from '../../shared/use-cases/delegation.ts';
import { declaration } from './function.ts';

export const handler = httpRoute(declaration, ({ callerId, query }, deps) =>
  listPractitionersOfAssistant(deps, callerId, query),
);

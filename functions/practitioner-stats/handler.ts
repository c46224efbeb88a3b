import { httpRoute } from '../../shared/http/route.ts';
import { practitionerStats } from '../../shared/use-cases/stats.ts';
import { declaration } from './function.ts';

/** One Query of the practitioner's days in the range (O(days)), summed per week and in total. */
export const handler = httpRoute(declaration, ({ callerId, query }, deps) =>
  practitionerStats(deps.stats, callerId, query),
);

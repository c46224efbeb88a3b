import { httpRoute } from '../../shared/http/route.ts';
import { statsRepository } from '../../shared/runtime/optional-repositories.ts';
import { needs } from '../../shared/use-cases/deps.ts';
import { practitionerStats } from '../../shared/use-cases/stats.ts';
import { declaration } from './function.ts';

/** One Query of the practitioner's days in the range (O(days)), summed per week and in total. */
export const handler = httpRoute(
  declaration,
  ({ callerId, query }, deps) => practitionerStats(needs(deps, 'stats'), callerId, query),
  { repositories: statsRepository },
);

/**
 * The repositories only some functions are built with: passed by their handlers as the
 * `repositories` adapter, so that every other bundle leaves them out (the composition root,
 * shared/runtime/deps.ts, does not import them). functionDeps checks at cold start that a
 * function gets one exactly when its declaration touches the items behind it.
 */
import { createAutomationRepository } from '../repositories/automation-repository.ts';
import { createCommunicationRepository } from '../repositories/communication-repository.ts';
import { createConnectionRepository } from '../repositories/connection-repository.ts';
import { createStatsRepository } from '../repositories/stats-repository.ts';
import type { RepositoriesAdapter } from './function-deps.ts';

export const statsRepository: RepositoriesAdapter = (db) => ({ stats: createStatsRepository(db) });
export const connectionRepository: RepositoriesAdapter = (db) => ({
  connections: createConnectionRepository(db),
});
export const communicationRepository: RepositoriesAdapter = (db) => ({
  communications: createCommunicationRepository(db),
});
export const automationRepository: RepositoriesAdapter = (db) => ({
  automations: createAutomationRepository(db),
});
/** Tests, benches and scripts: every optional repository. */
export const allOptionalRepositories: RepositoriesAdapter = (db) => ({
  ...statsRepository(db),
  ...connectionRepository(db),
  ...communicationRepository(db),
  ...automationRepository(db),
});

/**
 * The counter reconciler. Counters are kept exact by the thread transactions,
 * with a floor on every decrement; should one ever drift below a change (a bug,
 * an operator's edit), the change commits without that delta and marks the
 * counters (shared/repositories/thread-repository.ts). This recomputes them from
 * the thread indexes — never a Scan — and writes them over the version it read.
 *
 * - Scheduled (`counters-reconcile`): a marked counters item is rewritten only
 *   once it has been quiet for a whole run (the same version seen twice), so the
 *   index reads, which lag the table slightly, see every committed change.
 * - On demand (`npm run reconcile -- practitioner <id>`): now, for an operator.
 */
import type { CounterSubject } from '../db/keys.ts';
import { logger, metrics } from '../runtime/logger.ts';
import type { Deps } from './deps.ts';

export type ReconcileOutcome = 'reconciled' | 'already-exact' | 'waiting-for-quiet' | 'changed-meanwhile';

/** Recomputes one counters item and writes it if it is still at the version read. */
export const reconcileCounters = async (
  deps: Pick<Deps, 'counters'>,
  subject: CounterSubject,
  id: string,
): Promise<{ outcome: ReconcileOutcome; before: Record<string, number>; after: Record<string, number> }> => {
  const stored = await deps.counters.stored(subject, id);
  const truth = await deps.counters.truth(subject, id);
  const exact = Object.entries(truth).every(([field, value]) => stored.counters[field] === value);
  if (!(await deps.counters.overwrite(subject, id, truth, stored.version))) {
    return { outcome: 'changed-meanwhile', before: stored.counters, after: truth };
  }
  if (!exact) {
    metrics.addMetric('CountersReconciled', 'Count', 1);
    logger.warn('Counters reconciled', { subject, id, before: stored.counters, after: truth });
  }
  return { outcome: exact ? 'already-exact' : 'reconciled', before: stored.counters, after: truth };
};

/** The scheduled run: every marked counters item, rewritten once it stayed quiet since the last run. */
export const reconcileMarkedCounters = async (deps: Pick<Deps, 'counters'>) => {
  const report: Record<ReconcileOutcome, number> = {
    reconciled: 0,
    'already-exact': 0,
    'waiting-for-quiet': 0,
    'changed-meanwhile': 0,
  };
  for (const marker of await deps.counters.marked()) {
    const { version } = await deps.counters.stored(marker.subject, marker.id);
    if (marker.seenVersion !== version) {
      await deps.counters.noteSeenVersion(marker.subject, marker.id, version);
      report['waiting-for-quiet'] += 1;
      continue;
    }
    report[(await reconcileCounters(deps, marker.subject, marker.id)).outcome] += 1;
  }
  return report;
};

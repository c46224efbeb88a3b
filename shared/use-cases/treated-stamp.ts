import type { ThreadChange } from '../repositories/thread-repository.ts';
import type { Deps } from './deps.ts';

/** The record of the patient was not there to stamp (records are not deleted, so: never in practice). */
class NoRecordToStamp extends Error {}

/**
 * Commits a thread change; when it closes a patient's request (treat, or reply
 * with markTreated) it also stamps `lastRequestTreatedAt` on the patient's
 * record in the same transaction, for the same-day cooldown. The stamp bumps
 * the record's controls version, so a request the patient is starting at that
 * moment is re-decided (and refused under the cooldown) rather than slipping in.
 */
export const commitThreadChange = async (
  deps: Pick<Deps, 'threads' | 'patients'>,
  change: ThreadChange,
): Promise<void> => {
  const { before, after } = change;
  const closesRequest = before?.status === 'open' && after.status === 'closed' && after.origin === 'patient';
  if (!closesRequest || !after.treatedAt) {
    await deps.threads.commit(change);
    return;
  }
  const stamp = deps.patients.treatedStampItem(
    after.practitionerId,
    after.patientId,
    after.treatedAt,
    () => new NoRecordToStamp(),
  );
  try {
    await deps.threads.commit({ ...change, extraItems: [...(change.extraItems ?? []), stamp] });
  } catch (error) {
    if (!(error instanceof NoRecordToStamp)) throw error;
    await deps.threads.commit(change);
  }
};

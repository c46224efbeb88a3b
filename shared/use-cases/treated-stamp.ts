import { closeRequest, NothingToRelease } from '../repositories/quota-repository.ts';
import type { ExtraTransactItem, ThreadChange } from '../repositories/thread-repository.ts';
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
  deps: Pick<Deps, 'threads' | 'patients' | 'quotas'>,
  change: ThreadChange,
): Promise<void> => {
  const { before, after } = change;
  const closesRequest = before?.status === 'open' && after.status === 'closed' && after.origin === 'patient';
  if (!closesRequest) {
    await deps.threads.commit(change);
    return;
  }
  // The patient's open-requests quota frees a slot in the same transaction (docs/adr/0011): the
  // close commits once (conditioned on the thread's version), so the release does too.
  let stamp: ExtraTransactItem | null = after.treatedAt
    ? deps.patients.treatedStampItem(
        after.practitionerId,
        after.patientId,
        after.treatedAt,
        () => new NoRecordToStamp(),
      )
    : null;
  let release: ExtraTransactItem | null = closeRequest(deps.quotas, after.patientId, after.practitionerId);
  for (;;) {
    try {
      await deps.threads.commit({
        ...change,
        extraItems: [...(change.extraItems ?? []), ...(stamp ? [stamp] : []), ...(release ? [release] : [])],
      });
      return;
    } catch (error) {
      // Either item may find nothing to change: the record (never in practice), or a count of
      // requests opened before quotas existed. The close itself must not fail for it.
      if (error instanceof NoRecordToStamp && stamp) stamp = null;
      else if (error instanceof NothingToRelease && release) release = null;
      else throw error;
    }
  }
};

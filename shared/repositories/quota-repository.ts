/**
 * Quota counters as items of the write's own transaction (docs/adr/0011): each
 * is ONE Update — `ADD n :k` under `attribute_not_exists(n) OR n <= :limit - k` —
 * so the database refuses the write that would pass the limit and nothing else
 * of that transaction commits (no read-then-write, no race: 20 parallel starts
 * with a limit of 3 commit exactly 3). Releases (`ADD n -1`) go into the
 * transaction that closes or deletes the counted thing, conditioned on `n >= 1`
 * so a counter never goes negative.
 *
 * Exactness under retries: a counted change commits at most once by
 * construction — the increment sits in the transaction that creates the thing
 * (`attribute_not_exists(pk)` on its item) and the release in the one that moves
 * it out of the counted state (conditioned on its version/status), and a client
 * retry of a POST is answered from the Idempotency-Key record without running
 * the transaction again.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { ENV } from '../config.ts';
import type { Db } from '../db/client.ts';
import { keys } from '../db/keys.ts';
import { limitReached } from '../domain/errors.ts';
import {
  COUNT_RETRY_AFTER_SECONDS,
  dayWindowExpiresAt,
  parseQuotas,
  type QuotaName,
  type Quotas,
  quotaDay,
  secondsUntilNextQuotaDay,
} from '../domain/quotas.ts';
import type { ExtraTransactItem } from './thread-repository.ts';

const QUOTA_ENTITY = 'Quota';
/** The table's TTL attribute (epoch seconds), as on audit and scheduled-message items. */
const TTL = 'expiresAt';

/** A release found no count to take from (a thing counted before quotas existed): commit without it. */
export class NothingToRelease extends Error {
  override readonly name = 'NothingToRelease';
}

/**
 * Runs a write with the release of one counted thing, or without it when there was
 * nothing to release (counted before quotas existed): the delete itself must not fail for it.
 */
export const withRelease = async <T>(
  release: ExtraTransactItem,
  run: (guards: ExtraTransactItem[]) => Promise<T>,
): Promise<T> => {
  try {
    return await run([release]);
  } catch (error) {
    if (!(error instanceof NothingToRelease)) throw error;
    return run([]);
  }
};

/** Practitioner counts: what a practitioner keeps at once. */
export type PractitionerCount = Extract<
  QuotaName,
  | 'templatesPerPractitioner'
  | 'automationsPerPractitioner'
  | 'delegatesPerPractitioner'
  | 'pendingScheduledMessagesPerPractitioner'
>;

/** Practitioner day windows. */
export type PractitionerWindow = Extract<
  QuotaName,
  'communicationsPerPractitionerPerDay' | 'communicationRecipientsPerPractitionerPerDay'
>;

const take = (
  db: Db,
  key: { pk: string; sk: string },
  amount: number,
  limit: number,
  refusal: () => Error,
  expiresAt?: number,
): ExtraTransactItem => {
  if (amount > limit) {
    // More than the whole window at once: refused without touching the table.
    throw refusal();
  }
  return {
    item: {
      Update: {
        TableName: db.tableName,
        Key: key,
        UpdateExpression: `ADD #n :k SET #entity = :entity, #schemaVersion = :one${expiresAt ? ', #ttl = :ttl' : ''}`,
        ConditionExpression: 'attribute_not_exists(#n) OR #n <= :room',
        ExpressionAttributeNames: {
          '#n': 'n',
          '#entity': 'entity',
          '#schemaVersion': 'schemaVersion',
          ...(expiresAt && { '#ttl': TTL }),
        },
        ExpressionAttributeValues: {
          ':k': amount,
          ':room': limit - amount,
          ':entity': QUOTA_ENTITY,
          ':one': 1,
          ...(expiresAt && { ':ttl': expiresAt }),
        },
      },
    },
    onConditionFailed: refusal,
  };
};

const release = (db: Db, key: { pk: string; sk: string }): ExtraTransactItem => ({
  item: {
    Update: {
      TableName: db.tableName,
      Key: key,
      UpdateExpression: 'ADD #n :minusOne',
      ConditionExpression: '#n >= :one',
      ExpressionAttributeNames: { '#n': 'n' },
      ExpressionAttributeValues: { ':minusOne': -1, ':one': 1 },
    },
  },
  onConditionFailed: () => new NothingToRelease(),
});

/**
 * The table and the stage's limits (Deps.quotas). The items are built by the
 * functions below, not methods, so each bundle keeps only the ones its use cases
 * call (practitioner-reply only releases: ADR 0006). Without `quotas` (Lambda),
 * the limits are the QUOTAS environment JSON, parsed once on first use by a
 * counting route; the CDK test parses every function's QUOTAS at synth.
 */
export const createQuotaRepository = (db: Db, quotas?: Quotas) => ({ db, limits: quotas });

const limitsOf = (repo: QuotaRepository): Quotas => {
  repo.limits ??= parseQuotas(process.env[ENV.quotas]);
  return repo.limits;
};

export type QuotaRepository = ReturnType<typeof createQuotaRepository>;

/**
 * A patient starts a request: one more open with this practitioner (QUOTA_EXCEEDED at the limit).
 * The patient's daily window is a second item (patientDayWindow).
 */
export const openRequest = (
  repo: QuotaRepository,
  patientId: string,
  practitionerId: string,
): ExtraTransactItem => {
  const { db } = repo;
  const limit = limitsOf(repo).openRequestsPerPatientPerPractitioner;
  return take(db, keys.patientQuota(patientId, `OPEN#${practitionerId}`), 1, limit, () =>
    limitReached('QUOTA_EXCEEDED', 'openRequestsPerPatientPerPractitioner', limit, COUNT_RETRY_AFTER_SECONDS),
  );
};

/** One more request started this Paris day (RATE_LIMITED until the next Paris midnight). */
export const patientDayWindow = (repo: QuotaRepository, patientId: string, now: Date): ExtraTransactItem => {
  const { db } = repo;
  const limit = limitsOf(repo).patientRequestsPerDay;
  return take(
    db,
    keys.patientQuota(patientId, `DAY#${quotaDay(now)}`),
    1,
    limit,
    () => limitReached('RATE_LIMITED', 'patientRequestsPerDay', limit, secondsUntilNextQuotaDay(now)),
    dayWindowExpiresAt(now),
  );
};

/** The practitioner treated (closed) one of this patient's requests: a slot frees up. */
export const closeRequest = (
  { db }: QuotaRepository,
  patientId: string,
  practitionerId: string,
): ExtraTransactItem => release(db, keys.patientQuota(patientId, `OPEN#${practitionerId}`));

/** One more kept template / automation (QUOTA_EXCEEDED at the limit). */
export const addTo = (
  repo: QuotaRepository,
  practitionerId: string,
  count: PractitionerCount,
): ExtraTransactItem => {
  const { db } = repo;
  const limit = limitsOf(repo)[count];
  return take(db, keys.practitionerQuota(practitionerId, count), 1, limit, () =>
    limitReached('QUOTA_EXCEEDED', count, limit, COUNT_RETRY_AFTER_SECONDS),
  );
};

/** One fewer (deleted). */
export const removeFrom = (
  { db }: QuotaRepository,
  practitionerId: string,
  count: PractitionerCount,
): ExtraTransactItem => release(db, keys.practitionerQuota(practitionerId, count));

const dayWindowKey = (practitionerId: string, window: PractitionerWindow, day: string) =>
  keys.practitionerQuota(practitionerId, `DAY#${window}#${day}`);

const windowClosed = (repo: QuotaRepository, window: PractitionerWindow, now: Date) => () =>
  limitReached('RATE_LIMITED', window, limitsOf(repo)[window], secondsUntilNextQuotaDay(now));

/** `amount` more in a practitioner's day window (RATE_LIMITED until the next Paris midnight). */
export const practitionerDayWindow = (
  repo: QuotaRepository,
  practitionerId: string,
  window: PractitionerWindow,
  amount: number,
  now: Date,
): ExtraTransactItem => {
  const { db } = repo;
  const limit = limitsOf(repo)[window];
  return take(
    db,
    dayWindowKey(practitionerId, window, quotaDay(now)),
    amount,
    limit,
    () => limitReached('RATE_LIMITED', window, limit, secondsUntilNextQuotaDay(now)),
    dayWindowExpiresAt(now),
  );
};

/**
 * The window of this Paris day is not used up yet (a ConditionCheck, nothing taken): a group
 * communication is refused at creation when none of its recipients could be sent today.
 */
export const practitionerDayWindowOpen = (
  repo: QuotaRepository,
  practitionerId: string,
  window: PractitionerWindow,
  now: Date,
): ExtraTransactItem => ({
  item: {
    ConditionCheck: {
      TableName: repo.db.tableName,
      Key: dayWindowKey(practitionerId, window, quotaDay(now)),
      ConditionExpression: 'attribute_not_exists(#n) OR #n < :limit',
      ExpressionAttributeNames: { '#n': 'n' },
      ExpressionAttributeValues: { ':limit': limitsOf(repo)[window] },
    },
  },
  onConditionFailed: windowClosed(repo, window, now),
});

/**
 * What is left of this Paris day's window (a consistent read): how much a partial reservation
 * may take. Only a hint for the size: the reservation itself stays conditioned.
 */
export const practitionerDayWindowRoom = async (
  repo: QuotaRepository,
  practitionerId: string,
  window: PractitionerWindow,
  now: Date,
): Promise<number> => {
  const { Item } = await repo.db.client.send(
    new GetCommand({
      TableName: repo.db.tableName,
      Key: dayWindowKey(practitionerId, window, quotaDay(now)),
      ConsistentRead: true,
    }),
  );
  return Math.max(0, limitsOf(repo)[window] - (typeof Item?.n === 'number' ? Item.n : 0));
};

/**
 * Gives back `amount` of day `day`'s window, reserved but not used (a chunk cut short by its time
 * budget). NothingToRelease when the window item is gone (TTL, days later): commit without it.
 */
export const practitionerDayWindowGiveBack = (
  { db }: QuotaRepository,
  practitionerId: string,
  window: PractitionerWindow,
  day: string,
  amount: number,
): ExtraTransactItem => ({
  item: {
    Update: {
      TableName: db.tableName,
      Key: dayWindowKey(practitionerId, window, day),
      UpdateExpression: 'ADD #n :minus',
      ConditionExpression: '#n >= :amount',
      ExpressionAttributeNames: { '#n': 'n' },
      ExpressionAttributeValues: { ':minus': -amount, ':amount': amount },
    },
  },
  onConditionFailed: () => new NothingToRelease(),
});

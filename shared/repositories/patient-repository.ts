import { GetCommand, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Db } from '../db/client.ts';
import { keys, PATIENT_RECORD_SK_PREFIX } from '../db/keys.ts';
import { isConditionalCheckFailed, type TransactItem, writeWith } from '../db/transactions.ts';
import type { PatientStanding } from '../domain/messaging-rules.ts';
import {
  PATIENT_ATTRIBUTES,
  type PatientAttribute,
  type PatientAttributes,
  type PatientRecord,
} from '../domain/types.ts';
import type { ExtraTransactItem } from './thread-repository.ts';

/**
 * What the messaging rules read of a record, with `controlsVersion`: every write
 * that can change a rule's answer (data with attributes, block, allow, treated
 * stamp) bumps it, and a patient's write is conditioned on the version it was
 * decided on (controls-repository.ts `versionGuards`).
 */
export interface PatientStandingSnapshot extends PatientStanding {
  record: PatientRecord | null;
  /** null when the record does not exist or was never versioned. */
  version: number | null;
}

export type MessagingFlag = 'blocked' | 'allowed';

export interface PatientRecordData {
  firstName: string;
  lastName: string;
  email: string | null;
  attributes: PatientAttributes;
}

const fromItem = (item: Record<string, unknown>): PatientRecord => {
  const attributes = (item.attributes ?? {}) as Partial<PatientAttributes>;
  return {
    practitionerId: item.practitionerId as string,
    patientId: item.patientId as string,
    // An erased record keeps its ids and flags, not the names (docs/adr/0013-gdpr-export-erasure.md).
    firstName: (item.firstName as string | undefined) ?? '',
    lastName: (item.lastName as string | undefined) ?? '',
    email: (item.email as string | null | undefined) ?? null,
    attributes: Object.fromEntries(
      PATIENT_ATTRIBUTES.map((a) => [a, attributes[a] === true]),
    ) as PatientAttributes,
    blocked: item.blocked === true,
    allowed: item.allowed === true,
    createdAt: item.createdAt as string,
    updatedAt: item.updatedAt as string,
  };
};

export const standingOf = (item: Record<string, unknown> | undefined): PatientStandingSnapshot => ({
  record: item ? fromItem(item) : null,
  lastRequestTreatedAt: typeof item?.lastRequestTreatedAt === 'string' ? item.lastRequestTreatedAt : null,
  version: typeof item?.controlsVersion === 'number' ? item.controlsVersion : null,
});

export const createPatientRepository = (db: Db) => {
  /** The record's back-reference (ids only): a plain Put, the same item every time. */
  const recordRefPut = (practitionerId: string, patientId: string): TransactItem => ({
    Put: {
      TableName: db.tableName,
      Item: {
        ...keys.patientRecordRef(patientId, practitionerId),
        entity: 'PatientRecordRef',
        practitionerId,
        patientId,
      },
    },
  });
  return {
    async get(practitionerId: string, patientId: string): Promise<PatientRecord | null> {
      const { Item } = await db.client.send(
        new GetCommand({ TableName: db.tableName, Key: keys.patientRecord(practitionerId, patientId) }),
      );
      return Item ? fromItem(Item) : null;
    },

    /**
     * Creates or updates the record's data; the messaging flags (blocked, allowed)
     * are kept as they are, so re-sending a record never unblocks a patient.
     */
    async upsert(
      practitionerId: string,
      patientId: string,
      data: PatientRecordData,
      now: string,
    ): Promise<{ record: PatientRecord; created: boolean }> {
      // The record and its back-reference under the patient, in one transaction (erasure finds every
      // record of a patient with one Query). A PUT after an erasure is a new record: erasedAt goes.
      await writeWith(
        db,
        {
          Update: {
            TableName: db.tableName,
            Key: keys.patientRecord(practitionerId, patientId),
            UpdateExpression:
              'SET entity = :entity, practitionerId = :practitionerId, patientId = :patientId, firstName = :firstName, lastName = :lastName, email = :email, attributes = :attributes, updatedAt = :now, createdAt = if_not_exists(createdAt, :now), blocked = if_not_exists(blocked, :false), allowed = if_not_exists(allowed, :false) REMOVE erasedAt ADD controlsVersion :one',
            ExpressionAttributeValues: {
              ':entity': 'PatientRecord',
              ':practitionerId': practitionerId,
              ':patientId': patientId,
              ':firstName': data.firstName,
              ':lastName': data.lastName,
              ':email': data.email,
              ':attributes': data.attributes,
              ':now': now,
              ':false': false,
              ':one': 1,
            },
          },
        },
        [recordRefPut(practitionerId, patientId)],
      );
      const { Item: Attributes } = await db.client.send(
        new GetCommand({
          TableName: db.tableName,
          Key: keys.patientRecord(practitionerId, patientId),
          ConsistentRead: true,
        }),
      );
      const record = fromItem(Attributes ?? {});
      return { record, created: record.createdAt === now && record.updatedAt === now };
    },

    /**
     * The agenda's view of the patient (AppointmentBooked): names and, when the
     * agenda has one, the email. Attributes and messaging flags the practitioner
     * set are kept; an event older than the last one applied changes nothing.
     */
    async upsertFromAgenda(
      practitionerId: string,
      patientId: string,
      data: { firstName: string; lastName: string; email: string | null },
      eventAt: string,
      now: string,
    ): Promise<{ applied: boolean }> {
      try {
        await writeWith(
          db,
          {
            Update: {
              TableName: db.tableName,
              Key: keys.patientRecord(practitionerId, patientId),
              UpdateExpression: `SET entity = :entity, practitionerId = :practitionerId, patientId = :patientId, firstName = :firstName, lastName = :lastName, ${
                data.email ? 'email = :email' : 'email = if_not_exists(email, :null)'
              }, attributes = if_not_exists(attributes, :attributes), agendaSyncedAt = :eventAt, updatedAt = :now, createdAt = if_not_exists(createdAt, :now), blocked = if_not_exists(blocked, :false), allowed = if_not_exists(allowed, :false)`,
              ConditionExpression: 'attribute_not_exists(agendaSyncedAt) OR agendaSyncedAt <= :eventAt',
              ExpressionAttributeValues: {
                ':entity': 'PatientRecord',
                ':practitionerId': practitionerId,
                ':patientId': patientId,
                ':firstName': data.firstName,
                ':lastName': data.lastName,
                ...(data.email ? { ':email': data.email } : { ':null': null }),
                ':attributes': Object.fromEntries(PATIENT_ATTRIBUTES.map((a) => [a, false])),
                ':eventAt': eventAt,
                ':now': now,
                ':false': false,
              },
            },
          },
          [recordRefPut(practitionerId, patientId)],
        );
        return { applied: true };
      } catch (error) {
        if ((error as { name?: string })?.name === 'ConditionalCheckFailedException')
          return { applied: false };
        throw error;
      }
    },

    /**
     * Stamps when the practitioner treated one of this patient's requests (the
     * same-day cooldown reads it), in the treating transaction. Conditioned on the
     * record existing, so it never creates a partial record.
     */
    treatedStampItem(
      practitionerId: string,
      patientId: string,
      treatedAt: string,
      onMissing: () => Error,
    ): ExtraTransactItem {
      return {
        item: {
          Update: {
            TableName: db.tableName,
            Key: keys.patientRecord(practitionerId, patientId),
            UpdateExpression: 'SET lastRequestTreatedAt = :at ADD controlsVersion :one',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: { ':at': treatedAt, ':one': 1 },
          },
        },
        onConditionFailed: onMissing,
      };
    },

    /**
     * Sets a messaging flag in one conditional write, only when it changes, with
     * `withItems` (the change's outbox items) in the same transaction: so the event
     * exists exactly when the flag changed. `changed` = this call changed it;
     * null = no record.
     */
    async setFlag(
      practitionerId: string,
      patientId: string,
      flag: MessagingFlag,
      value: boolean,
      now: string,
      withItems: readonly TransactItem[] = [],
    ): Promise<{ record: PatientRecord; changed: boolean } | null> {
      const read = async () =>
        (
          await db.client.send(
            new GetCommand({
              TableName: db.tableName,
              Key: keys.patientRecord(practitionerId, patientId),
              ConsistentRead: true,
            }),
          )
        ).Item;
      try {
        await writeWith(
          db,
          {
            Update: {
              TableName: db.tableName,
              Key: keys.patientRecord(practitionerId, patientId),
              UpdateExpression: 'SET #flag = :value, #flagChangedAt = :now ADD controlsVersion :one',
              ConditionExpression:
                'attribute_exists(pk) AND (attribute_not_exists(#flag) OR #flag <> :value)',
              ExpressionAttributeNames: { '#flag': flag, '#flagChangedAt': `${flag}ChangedAt` },
              ExpressionAttributeValues: { ':value': value, ':now': now, ':one': 1 },
            },
          },
          withItems,
        );
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw error;
        // Either no record, or the flag already had this value (an idempotent repeat).
        const item = await read();
        return item ? { record: fromItem(item), changed: false } : null;
      }
      return { record: fromItem((await read()) ?? {}), changed: true };
    },

    /**
     * The next `want` patients of a group communication's audience, in key order,
     * after `startKey`. Without a segment one Query of `want` records; with one,
     * Query pages of `SEGMENT_PAGE_RECORDS` filtered on the attributes, until
     * `want` matches or `maxPages` pages (a 1 % segment of 100,000 patients is
     * read 500 records at a time, not 50). `cursor` is where the next call starts:
     * the last record returned when the page was cut there, the Query's own last
     * key otherwise, null once the base is walked.
     */
    async audiencePage(
      practitionerId: string,
      attributes: readonly PatientAttribute[] | null,
      page: { want: number; maxPages: number; startKey?: Record<string, string> | null },
    ): Promise<{ records: PatientRecord[]; cursor: Record<string, string> | null }> {
      const segment = attributes !== null && attributes.length > 0;
      const records: PatientRecord[] = [];
      let startKey = page.startKey ?? null;
      for (let n = 0; n < page.maxPages; n++) {
        const result = await db.client.send(
          new QueryCommand({
            ...baseQuery(db, practitionerId, attributes, startKey),
            Limit: segment ? SEGMENT_PAGE_RECORDS : page.want - records.length,
          }),
        );
        const items = result.Items ?? [];
        const room = page.want - records.length;
        records.push(...items.slice(0, room).map(fromItem));
        startKey = (result.LastEvaluatedKey as Record<string, string> | undefined) ?? null;
        if (items.length > room) {
          const last = records[records.length - 1] as PatientRecord;
          return { records, cursor: { ...keys.patientRecord(practitionerId, last.patientId) } };
        }
        if (records.length === page.want || startKey === null) break;
      }
      return { records, cursor: startKey };
    },
  };
};

/** Records a segment's Query evaluates per page (filtered after reading: they all cost reads). */
const SEGMENT_PAGE_RECORDS = 500;

/** The practitioner's patient records (sk `PATIENT#…`), filtered on ANY of the attributes when given. */
const baseQuery = (
  db: Db,
  practitionerId: string,
  attributes: readonly PatientAttribute[] | null,
  startKey: Record<string, string> | null | undefined,
): QueryCommandInput => {
  const filter = attributes && attributes.length > 0 ? attributes : null;
  return {
    TableName: db.tableName,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ...(filter && {
      FilterExpression: filter.map((_, i) => `#attributes.#a${i} = :true`).join(' OR '),
      ExpressionAttributeNames: {
        '#attributes': 'attributes',
        ...Object.fromEntries(filter.map((attribute, i) => [`#a${i}`, attribute])),
      },
    }),
    ExpressionAttributeValues: {
      ':pk': keys.patientBasePartition(practitionerId),
      ':prefix': PATIENT_RECORD_SK_PREFIX,
      ...(filter && { ':true': true }),
    },
    ...(startKey && { ExclusiveStartKey: startKey }),
  };
};

export type PatientRepository = ReturnType<typeof createPatientRepository>;

import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '../db/client.ts';
import { keys } from '../db/keys.ts';
import { PATIENT_ATTRIBUTES, type PatientAttributes, type PatientRecord } from '../domain/types.ts';

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
    firstName: item.firstName as string,
    lastName: item.lastName as string,
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

export const createPatientRepository = (db: Db) => ({
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
    const { Attributes } = await db.client.send(
      new UpdateCommand({
        TableName: db.tableName,
        Key: keys.patientRecord(practitionerId, patientId),
        UpdateExpression:
          'SET entity = :entity, practitionerId = :practitionerId, patientId = :patientId, firstName = :firstName, lastName = :lastName, email = :email, attributes = :attributes, updatedAt = :now, createdAt = if_not_exists(createdAt, :now), blocked = if_not_exists(blocked, :false), allowed = if_not_exists(allowed, :false)',
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
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    const record = fromItem(Attributes ?? {});
    return { record, created: record.createdAt === now && record.updatedAt === now };
  },
});

export type PatientRepository = ReturnType<typeof createPatientRepository>;

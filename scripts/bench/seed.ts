/**
 * DynamoDB Local filled in bulk, for the benches and the integration tests: items written by
 * BatchWriteItem rather than one use case call each (a base of 10,000 patients in seconds).
 */
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '../../shared/db/client.ts';
import { keys } from '../../shared/db/keys.ts';
import type { PatientRecordData } from '../../shared/repositories/patient-repository.ts';

/** A patient record item as the repository writes it (patients.upsert): neither blocked nor allowed, version 1. */
export const patientRecordItem = (
  practitionerId: string,
  patientId: string,
  record: PatientRecordData,
  now: string,
): Record<string, unknown> => ({
  ...keys.patientRecord(practitionerId, patientId),
  entity: 'PatientRecord',
  practitionerId,
  patientId,
  ...record,
  blocked: false,
  allowed: false,
  createdAt: now,
  updatedAt: now,
  controlsVersion: 1,
});

/**
 * BatchWriteItem of `items`, 25 per call, `inFlight` calls at a time; unprocessed items are sent
 * again (at most 20 times). Answers how many calls it made.
 */
export const writeBatches = async (db: Db, items: readonly Record<string, unknown>[], inFlight = 1) => {
  let calls = 0;
  const batches: Record<string, unknown>[][] = [];
  for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25));
  const writer = async () => {
    for (let batch = batches.shift(); batch; batch = batches.shift()) {
      let request = batch.map((Item) => ({ PutRequest: { Item } }));
      for (let attempt = 0; request.length > 0; attempt++) {
        if (attempt > 20) throw new Error('BatchWriteItem kept items unprocessed');
        calls++;
        const result = await db.client.send(
          new BatchWriteCommand({ RequestItems: { [db.tableName]: request } }),
        );
        request = (result.UnprocessedItems?.[db.tableName] ?? []) as typeof request;
      }
    }
  };
  await Promise.all(Array.from({ length: inFlight }, writer));
  return calls;
};

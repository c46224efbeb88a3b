import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '../db/client.ts';
import { keys } from '../db/keys.ts';
import type { PatientCounters, PractitionerCounters } from '../domain/types.ts';

const count = (value: unknown): number => (typeof value === 'number' ? value : 0);

/** The sidebar badges: one GetItem each, kept exact by the thread transactions. */
export const createCountersRepository = (db: Db) => ({
  async practitioner(practitionerId: string): Promise<PractitionerCounters> {
    const { Item } = await db.client.send(
      new GetCommand({ TableName: db.tableName, Key: keys.practitionerCounters(practitionerId) }),
    );
    return {
      untreatedMessages: count(Item?.untreatedMessages),
      unreadThreads: count(Item?.unreadThreads),
      openThreads: count(Item?.openThreads),
    };
  },

  async patient(patientId: string): Promise<PatientCounters> {
    const { Item } = await db.client.send(
      new GetCommand({ TableName: db.tableName, Key: keys.patientCounters(patientId) }),
    );
    return { unreadMessages: count(Item?.unreadMessages) };
  },
});

export type CountersRepository = ReturnType<typeof createCountersRepository>;

import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '../db/client.ts';
import { fieldsOrNull } from '../db/item-fields.ts';
import { AUTOMATION_SK_PREFIX, keys } from '../db/keys.ts';
import { queryAll } from '../db/query-all.ts';
import { queryPage } from '../db/query-page.ts';
import { cancellationCodes, type GuardedItem, guardRefusal } from '../db/transactions.ts';
import type { Automation } from '../domain/automations.ts';
import { NotFound } from '../domain/errors.ts';
import { expiresAtAfter, RETENTION } from '../domain/retention.ts';
import type { TransactItem } from './thread-repository.ts';

const ENTITY = 'Automation';
const RUN_ENTITY = 'AutomationRun';
const SCHEMA_VERSION = 1;

const FIELDS = [
  'id',
  'practitionerId',
  'trigger',
  'motive',
  'templateId',
  'replyPolicy',
  'delayMinutes',
  'createdAt',
] as const satisfies readonly (keyof Automation)[];

const fromItem = (item: Record<string, unknown>): Automation => fieldsOrNull<Automation>(item, FIELDS);

/** What one automation sent about one appointment. */
export interface AutomationRunRecord {
  practitionerId: string;
  automationId: string;
  appointmentId: string;
  patientId: string;
  threadId: string;
  messageId: string;
  sentAt: string;
}

/** Automations in the practitioner's partition (sk `AUTOMATION#<id>`). */
export const createAutomationRepository = (db: Db) => {
  return {
    /**
     * Creates the automation and counts one more use of its template, in one
     * transaction conditioned on the template existing: never an automation
     * pointing at a deleted template.
     */
    async create(automation: Automation, guards: readonly GuardedItem[] = []): Promise<Automation> {
      try {
        await db.client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Update: {
                  TableName: db.tableName,
                  Key: keys.template(automation.practitionerId, automation.templateId),
                  UpdateExpression: 'ADD automationCount :one',
                  ConditionExpression: 'attribute_exists(pk)',
                  ExpressionAttributeValues: { ':one': 1 },
                },
              },
              {
                Put: {
                  TableName: db.tableName,
                  Item: {
                    ...keys.automation(automation.practitionerId, automation.id),
                    entity: ENTITY,
                    schemaVersion: SCHEMA_VERSION,
                    ...automation,
                  },
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
              ...guards.map((g) => g.item),
            ],
          }),
        );
        return automation;
      } catch (error) {
        if (cancellationCodes(error)?.[0] === 'ConditionalCheckFailed') throw new NotFound('Template');
        throw guardRefusal(error, guards, 2) ?? error;
      }
    },

    async get(practitionerId: string, automationId: string): Promise<Automation | null> {
      const { Item } = await db.client.send(
        new GetCommand({
          TableName: db.tableName,
          Key: keys.automation(practitionerId, automationId),
          ConsistentRead: true,
        }),
      );
      return Item ? fromItem(Item) : null;
    },

    async list(
      practitionerId: string,
      page: { limit: number; cursor?: string },
    ): Promise<{ items: Automation[]; nextCursor: string | null }> {
      return queryPage(
        db,
        {
          partition: { attribute: 'pk', value: keys.automation(practitionerId, '').pk },
          skPrefix: AUTOMATION_SK_PREFIX,
        },
        page,
        fromItem,
      );
    },

    /** Every automation of a practitioner (a handful): what a completed appointment may trigger. */
    listAll(practitionerId: string): Promise<Automation[]> {
      return queryAll(
        db,
        {
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: {
            ':pk': keys.automation(practitionerId, '').pk,
            ':prefix': AUTOMATION_SK_PREFIX,
          },
          Limit: 100,
        },
        fromItem,
      );
    },

    /**
     * The exactly-once marker of one automation for one appointment, Put with
     * attribute_not_exists in the transaction that writes the message: of any
     * number of runs (retries, duplicate events, double sweeps) one commits.
     */
    runMarkerItem(run: AutomationRunRecord): TransactItem {
      return {
        Put: {
          TableName: db.tableName,
          Item: {
            ...keys.automationRun(run.practitionerId, run.automationId, run.appointmentId),
            entity: RUN_ENTITY,
            schemaVersion: SCHEMA_VERSION,
            ...run,
            expiresAt: expiresAtAfter(RETENTION.automationRunMs, run.sentAt),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      };
    },

    async getRun(
      practitionerId: string,
      automationId: string,
      appointmentId: string,
    ): Promise<AutomationRunRecord | null> {
      const { Item } = await db.client.send(
        new GetCommand({
          TableName: db.tableName,
          Key: keys.automationRun(practitionerId, automationId, appointmentId),
          ConsistentRead: true,
        }),
      );
      return Item
        ? {
            practitionerId: Item.practitionerId as string,
            automationId: Item.automationId as string,
            appointmentId: Item.appointmentId as string,
            patientId: Item.patientId as string,
            threadId: Item.threadId as string,
            messageId: Item.messageId as string,
            sentAt: Item.sentAt as string,
          }
        : null;
    },

    /** Deletes the automation and releases its use of the template, atomically. */
    async delete(
      practitionerId: string,
      automationId: string,
      guards: readonly GuardedItem[] = [],
    ): Promise<void> {
      const existing = await this.get(practitionerId, automationId);
      if (!existing) throw new NotFound('Automation');
      try {
        await db.client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Delete: {
                  TableName: db.tableName,
                  Key: keys.automation(practitionerId, automationId),
                  // templateId never changes, so the one read above is still the one to release.
                  ConditionExpression: 'attribute_exists(pk) AND templateId = :templateId',
                  ExpressionAttributeValues: { ':templateId': existing.templateId },
                },
              },
              {
                Update: {
                  TableName: db.tableName,
                  Key: keys.template(practitionerId, existing.templateId),
                  UpdateExpression: 'ADD automationCount :minusOne',
                  ConditionExpression: 'automationCount >= :one',
                  ExpressionAttributeValues: { ':minusOne': -1, ':one': 1 },
                },
              },
              ...guards.map((g) => g.item),
            ],
          }),
        );
      } catch (error) {
        // A concurrent delete of the same automation won.
        if (cancellationCodes(error)?.[0] === 'ConditionalCheckFailed') throw new NotFound('Automation');
        throw guardRefusal(error, guards, 2) ?? error;
      }
    },
  };
};

export type AutomationRepository = ReturnType<typeof createAutomationRepository>;

import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '../db/client.ts';
import { keys, TEMPLATE_SK_PREFIX } from '../db/keys.ts';
import { queryPage } from '../db/query-page.ts';
import { type GuardedItem, guardRefusal, isConditionalCheckFailed, writeWith } from '../db/transactions.ts';
import { Conflict, NotFound } from '../domain/errors.ts';
import type { ReplyPolicy } from '../domain/types.ts';

const ENTITY = 'Template';
const SCHEMA_VERSION = 1;

export interface Template {
  id: string;
  practitionerId: string;
  name: string;
  body: string;
  defaultReplyPolicy: ReplyPolicy | null;
  /** Automations that send it: a template in use cannot be deleted. */
  automationCount: number;
  createdAt: string;
  updatedAt: string;
}

export type TemplateData = Pick<Template, 'name' | 'body' | 'defaultReplyPolicy'>;

const fromItem = (item: Record<string, unknown>): Template => ({
  id: item.id as string,
  practitionerId: item.practitionerId as string,
  name: item.name as string,
  body: item.body as string,
  defaultReplyPolicy: (item.defaultReplyPolicy as ReplyPolicy | null | undefined) ?? null,
  automationCount: typeof item.automationCount === 'number' ? item.automationCount : 0,
  createdAt: item.createdAt as string,
  updatedAt: item.updatedAt as string,
});

/** Templates live in the practitioner's partition (sk `TEMPLATE#<id>`), listed in creation order. */
export const createTemplateRepository = (db: Db) => ({
  /** `guards`: the practitioner's template quota, in the same transaction (docs/adr/0011). */
  async create(
    template: Omit<Template, 'automationCount' | 'updatedAt'>,
    guards: readonly GuardedItem[] = [],
  ): Promise<Template> {
    const item = {
      ...keys.template(template.practitionerId, template.id),
      entity: ENTITY,
      schemaVersion: SCHEMA_VERSION,
      ...template,
      automationCount: 0,
      updatedAt: template.createdAt,
    };
    const put = { TableName: db.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' };
    try {
      await writeWith(
        db,
        { Put: put },
        guards.map((g) => g.item),
      );
    } catch (error) {
      throw guardRefusal(error, guards, 1) ?? error;
    }
    return fromItem(item);
  },

  async get(practitionerId: string, templateId: string): Promise<Template | null> {
    const { Item } = await db.client.send(
      new GetCommand({ TableName: db.tableName, Key: keys.template(practitionerId, templateId) }),
    );
    return Item ? fromItem(Item) : null;
  },

  async list(
    practitionerId: string,
    page: { limit: number; cursor?: string },
  ): Promise<{ items: Template[]; nextCursor: string | null }> {
    return queryPage(
      db,
      {
        partition: { attribute: 'pk', value: keys.template(practitionerId, '').pk },
        skPrefix: TEMPLATE_SK_PREFIX,
      },
      page,
      fromItem,
    );
  },

  /** Replaces name, body and default policy of an existing template (404 otherwise). */
  async replace(
    practitionerId: string,
    templateId: string,
    data: TemplateData,
    now: string,
  ): Promise<Template> {
    try {
      const { Attributes } = await db.client.send(
        new UpdateCommand({
          TableName: db.tableName,
          Key: keys.template(practitionerId, templateId),
          UpdateExpression: 'SET #name = :name, body = :body, defaultReplyPolicy = :policy, updatedAt = :now',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#name': 'name' },
          ExpressionAttributeValues: {
            ':name': data.name,
            ':body': data.body,
            ':policy': data.defaultReplyPolicy,
            ':now': now,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return fromItem(Attributes ?? {});
    } catch (error) {
      if (isConditionalCheckFailed(error)) throw new NotFound('Template');
      throw error;
    }
  },

  /**
   * Deletes a template no automation uses. The condition is on the template's
   * own usage count, which automations change in the same transaction as
   * themselves: a template cannot vanish under an automation being created.
   */
  async delete(
    practitionerId: string,
    templateId: string,
    guards: readonly GuardedItem[] = [],
  ): Promise<void> {
    try {
      await writeWith(
        db,
        {
          Delete: {
            TableName: db.tableName,
            Key: keys.template(practitionerId, templateId),
            ConditionExpression:
              'attribute_exists(pk) AND (attribute_not_exists(automationCount) OR automationCount = :zero)',
            ExpressionAttributeValues: { ':zero': 0 },
          },
        },
        guards.map((g) => g.item),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw guardRefusal(error, guards, 1) ?? error;
      const current = await this.get(practitionerId, templateId);
      if (!current) throw new NotFound('Template');
      throw new Conflict(
        `This template is used by ${current.automationCount} automation(s); delete them first.`,
      );
    }
  },
});

export type TemplateRepository = ReturnType<typeof createTemplateRepository>;

/**
 * For tests and benchmarks that run use cases without the stream: sees every
 * event a successful write committed to the outbox (shared/repositories/outbox-repository.ts)
 * through a middleware on a document client — a refused or rolled-back write
 * shows nothing, exactly like its outbox items.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { entriesOf, OUTBOX_ENTITY, outboxItemSchema } from '../shared/repositories/outbox-repository.ts';
import type { BusEntry } from '../shared/runtime/publisher.ts';

export const observeOutbox = (client: DynamoDBDocumentClient, onEvent: (entry: BusEntry) => void): void => {
  const seen = (item: unknown) => {
    const parsed = outboxItemSchema.safeParse(item);
    if (parsed.success && parsed.data.entity === OUTBOX_ENTITY)
      for (const entry of entriesOf(parsed.data)) onEvent(entry);
  };
  (client.middlewareStack.add as (middleware: unknown, options: unknown) => void)(
    (next: (args: { input: unknown }) => Promise<unknown>, context: { commandName?: string }) =>
      async (args: { input: unknown }) => {
        const result = await next(args);
        const input = args.input as { Item?: unknown; TransactItems?: Array<{ Put?: { Item?: unknown } }> };
        if (context.commandName === 'PutItemCommand') seen(input.Item);
        if (context.commandName === 'TransactWriteItemsCommand') {
          for (const entry of input.TransactItems ?? []) seen(entry.Put?.Item);
        }
        return result;
      },
    { step: 'initialize', priority: 'low', name: 'observeOutbox' },
  );
};

/**
 * A function's dependencies, built once at cold start from its declaration and
 * the environment (a missing variable fails here, before any request): its own
 * SDK clients — decorated by the local stack's emulation when there is one
 * (shared/runtime/local-emulation.ts), traced by X-Ray otherwise — then the
 * repositories, publisher and mailer through `buildDeps`.
 *
 * The SES and EventBridge clients and Powertools Idempotency are not imported
 * here: a handler that sends email, puts events on the bus or is idempotent
 * passes the adapter (shared/runtime/ses-mailer.ts, shared/runtime/event-bus.ts,
 * shared/http/idempotency.ts), so other functions never bundle them, and the
 * wrapper checks at cold start that the adapters match the declaration.
 */
import { ENV, optionalEnv, requireEnv } from '../config.ts';
import type { Db } from '../db/client.ts';
import { createDynamoDbClient, documentClientOver } from '../db/client.ts';
import type { ItemKind } from '../db/keys.ts';
import type { FunctionDeclaration } from '../function-model/declaration.ts';
import type { Deps, OptionalRepositories } from '../use-cases/deps.ts';
import { systemClock } from './clock.ts';
import { buildDeps } from './deps.ts';
import { type AwsService, type DecoratableClient, localEmulation } from './local-emulation.ts';
import { tracer } from './logger.ts';
import type { Mailer } from './mailer.ts';
import type { EventBus } from './publisher.ts';

/** What an adapter gets to build its client: the declaration, and how this runtime prepares clients. */
export interface AdapterContext {
  declaration: FunctionDeclaration;
  /** Decorates (locally: IAM enforcement) and traces a new SDK client of this function. */
  client<C extends DecoratableClient>(service: AwsService, client: C): C;
}

export type MailerAdapter = (context: AdapterContext) => Mailer;

export const adapterContext = (declaration: FunctionDeclaration): AdapterContext => ({
  declaration,
  client(service, client) {
    localEmulation().decorateClient?.(service, client, declaration);
    return tracer.captureAWSv3Client(client as never) as typeof client;
  },
});

export type BusAdapter = (context: AdapterContext) => EventBus;

/** Builds the optional repositories a handler needs (shared/runtime/optional-repositories.ts). */
export type RepositoriesAdapter = (db: Db) => OptionalRepositories;

/** The item kind behind each optional repository: a declaration touching it needs the repository. */
const OPTIONAL_REPOSITORY_KINDS = {
  stats: ['practitionerStats'],
  connections: ['connection'],
  communications: ['communication', 'communicationContent', 'communicationRecipient'],
  automations: ['automation', 'automationRun'],
} as const satisfies Record<keyof OptionalRepositories, readonly ItemKind[]>;

/** Which optional repositories a declaration's table access calls for (shared/runtime/optional-repositories.ts). */
const optionalRepositoriesOf = (declaration: FunctionDeclaration): string[] => {
  const kinds: readonly string[] = [
    ...(declaration.access.table?.read ?? []),
    ...(declaration.access.table?.write ?? []),
  ];
  return Object.entries(OPTIONAL_REPOSITORY_KINDS)
    .filter(([, behind]) => behind.some((kind) => kinds.includes(kind)))
    .map(([name]) => name);
};

export const functionDeps = (
  declaration: FunctionDeclaration,
  adapters: { mailer?: MailerAdapter; bus?: BusAdapter; repositories?: RepositoriesAdapter } = {},
): Deps => {
  const context = adapterContext(declaration);
  const dynamoDbEndpoint = optionalEnv(ENV.dynamoDbEndpoint);
  const db = {
    client: documentClientOver(
      context.client(
        'dynamodb',
        createDynamoDbClient(dynamoDbEndpoint ? { endpoint: dynamoDbEndpoint } : {}),
      ),
    ),
    tableName: requireEnv(ENV.tableName),
  };
  const optional = adapters.repositories?.(db) ?? {};
  const expected = optionalRepositoriesOf(declaration).sort();
  if (JSON.stringify(Object.keys(optional).sort()) !== JSON.stringify(expected)) {
    throw new Error(
      `Function ${declaration.name}: its repositories adapter must build exactly [${expected.join(', ')}] (its declaration's items)`,
    );
  }
  return buildDeps({
    optional,
    db,
    clock: localEmulation().clock ?? systemClock,
    appBaseUrl: requireEnv(ENV.appBaseUrl),
    ...(adapters.bus && { events: adapters.bus(context) }),
    ...(adapters.mailer && { mailer: adapters.mailer(context) }),
  });
};

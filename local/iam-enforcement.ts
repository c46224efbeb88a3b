/**
 * The local stack enforces each function's IAM grants on its SDK clients.
 *
 * Lambda runs every function with its own role; DynamoDB Local, the local bus and
 * aws-ses-v2-local accept anything. So the local stack decorates every client a
 * function builds (shared/runtime/clients.ts) with a middleware that asks, before
 * each call, what AWS would answer for that function's role: the statements of
 * shared/function-model/permissions.ts (the very ones CDK attaches; an infra test
 * proves they are equal), evaluated by shared/function-model/iam-evaluation.ts. A
 * refusal is thrown as the SDK would throw AWS's answer: AccessDeniedException,
 * a client fault with HTTP status 400 and AWS's message.
 *
 * One check goes further than AWS: IAM can only restrict partitions
 * (`dynamodb:LeadingKeys`), and several kinds of item share one; locally, the
 * item kinds read and written must also be the ones the declaration names.
 */
import { ApiGatewayManagementApiServiceException } from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBServiceException } from '@aws-sdk/client-dynamodb';
import { EventBridgeServiceException } from '@aws-sdk/client-eventbridge';
import { S3ServiceException } from '@aws-sdk/client-s3';
import { SESv2ServiceException } from '@aws-sdk/client-sesv2';
import { type ItemKind, itemKindOf } from '../shared/db/keys.ts';
import type { FunctionDeclaration } from '../shared/function-model/declaration.ts';
import { type AuthorizationRequest, evaluate } from '../shared/function-model/iam-evaluation.ts';
import {
  LOCAL_WEBSOCKET_API,
  type PolicyStatement,
  permissionsFor,
  type ServiceResources,
} from '../shared/function-model/permissions.ts';
import type { AwsService, DecoratableClient } from '../shared/runtime/local-emulation.ts';

export interface LocalAccount {
  readonly region: string;
  readonly accountId: string;
}

/** One access the middleware asks about: an IAM request, and for table items the item's key. */
interface Access {
  request: AuthorizationRequest;
  /** The key of the item read or written (single table only), for the item-kind check. */
  key?: { pk?: unknown; sk?: unknown };
  intent?: 'read' | 'write';
  /** An outbox item's events (Put only), for the local check of `access.emits`. */
  detailTypes?: string[];
}

export class LocalAccessDenied extends Error {}

// --- requests per command ---------------------------------------------------------------------------------

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null;
/** A key attribute, marshalled (`{S: "…"}`, from raw clients) or not (document client). */
const text = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : isObject(value) && typeof value.S === 'string' ? value.S : undefined;
const keyOf = (value: unknown) => (isObject(value) ? { pk: text(value.pk), sk: text(value.sk) } : {});

const tableArn = (account: LocalAccount, tableName: unknown) =>
  `arn:aws:dynamodb:${account.region}:${account.accountId}:table/${String(tableName)}`;

const itemAccess = (
  account: LocalAccount,
  action: string,
  tableName: unknown,
  key: { pk?: string; sk?: string },
  intent: 'read' | 'write',
  item?: unknown,
): Access => {
  const events = isObject(item) && Array.isArray(item.events) ? item.events : undefined;
  const detailTypes = events?.map((event) => (isObject(event) ? text(event.detailType) : undefined) ?? '?');
  return {
    request: {
      action: `dynamodb:${action}`,
      resource: tableArn(account, tableName),
      context: { 'dynamodb:LeadingKeys': key.pk === undefined ? [] : [key.pk] },
    },
    key,
    intent,
    ...(detailTypes !== undefined && { detailTypes }),
  };
};

/** The partition key value a Query's KeyConditionExpression compares for equality. */
const queriedPartition = (input: Json): string | undefined => {
  const names = (input.ExpressionAttributeNames ?? {}) as Record<string, string>;
  const values = (input.ExpressionAttributeValues ?? {}) as Record<string, unknown>;
  const keyAttribute = typeof input.IndexName === 'string' ? `${input.IndexName}pk` : 'pk';
  for (const clause of String(input.KeyConditionExpression ?? '').split(/\s+AND\s+/i)) {
    const match = /^\s*\(?\s*(#?[\w]+)\s*=\s*(:[\w]+)\s*\)?\s*$/.exec(clause);
    if (!match?.[1] || !match[2]) continue;
    const attribute = match[1].startsWith('#') ? names[match[1]] : match[1];
    if (attribute === keyAttribute) return text(values[match[2]]);
  }
  return undefined;
};

const TRANSACT_ACTIONS: Record<string, [action: string, intent: 'read' | 'write']> = {
  Put: ['PutItem', 'write'],
  Update: ['UpdateItem', 'write'],
  Delete: ['DeleteItem', 'write'],
  ConditionCheck: ['ConditionCheckItem', 'read'],
  Get: ['GetItem', 'read'],
};

const dynamoDbAccesses = (account: LocalAccount, command: string, input: Json): Access[] => {
  switch (command) {
    case 'GetItemCommand':
      return [itemAccess(account, 'GetItem', input.TableName, keyOf(input.Key), 'read')];
    case 'PutItemCommand':
      return [itemAccess(account, 'PutItem', input.TableName, keyOf(input.Item), 'write', input.Item)];
    case 'UpdateItemCommand':
      return [itemAccess(account, 'UpdateItem', input.TableName, keyOf(input.Key), 'write')];
    case 'DeleteItemCommand':
      return [itemAccess(account, 'DeleteItem', input.TableName, keyOf(input.Key), 'write')];
    case 'QueryCommand': {
      const index = typeof input.IndexName === 'string' ? `/index/${input.IndexName}` : '';
      const partition = queriedPartition(input);
      return [
        {
          request: {
            action: 'dynamodb:Query',
            resource: `${tableArn(account, input.TableName)}${index}`,
            context: { 'dynamodb:LeadingKeys': partition === undefined ? [] : [partition] },
          },
        },
      ];
    }
    case 'BatchGetItemCommand':
      return Object.entries((input.RequestItems ?? {}) as Record<string, { Keys?: unknown[] }>).flatMap(
        ([table, { Keys = [] }]) =>
          Keys.map((key) => itemAccess(account, 'BatchGetItem', table, keyOf(key), 'read')),
      );
    case 'BatchWriteItemCommand':
      return Object.entries((input.RequestItems ?? {}) as Record<string, Json[]>).flatMap(([table, writes]) =>
        writes.map((write) => {
          const put = write.PutRequest as Json | undefined;
          const del = write.DeleteRequest as Json | undefined;
          return itemAccess(account, 'BatchWriteItem', table, keyOf(put?.Item ?? del?.Key), 'write');
        }),
      );
    case 'TransactWriteItemsCommand':
    case 'TransactGetItemsCommand':
      return ((input.TransactItems ?? []) as Json[]).flatMap((entry) =>
        Object.entries(entry).flatMap(([kind, operation]) => {
          const mapped = TRANSACT_ACTIONS[kind];
          if (!mapped || !isObject(operation)) return [];
          const [action, intent] = mapped;
          return [
            itemAccess(
              account,
              action,
              operation.TableName,
              keyOf(operation.Item ?? operation.Key),
              intent,
              operation.Item,
            ),
          ];
        }),
      );
    default:
      // Scan, DescribeTable…: asked as what they are, and no declaration grants them.
      return [
        {
          request: {
            action: `dynamodb:${command.replace(/Command$/, '')}`,
            resource: tableArn(account, input.TableName ?? '*'),
          },
        },
      ];
  }
};

const busArn = (account: LocalAccount, name: unknown) => {
  const bus = typeof name === 'string' && name !== '' ? name : 'default';
  return bus.startsWith('arn:')
    ? bus
    : `arn:aws:events:${account.region}:${account.accountId}:event-bus/${bus}`;
};

const eventBridgeAccesses = (account: LocalAccount, command: string, input: Json): Access[] => {
  if (command !== 'PutEventsCommand') {
    return [
      {
        request: {
          action: `events:${command.replace(/Command$/, '')}`,
          resource: busArn(account, undefined),
        },
      },
    ];
  }
  return ((input.Entries ?? []) as Json[]).map((entry) => ({
    request: {
      action: 'events:PutEvents',
      resource: busArn(account, entry.EventBusName),
      context: {
        'events:source': [String(entry.Source)],
        'events:detail-type': [String(entry.DetailType)],
      },
    },
  }));
};

const sesAccesses = (account: LocalAccount, command: string, input: Json): Access[] => {
  const from = String(input.FromEmailAddress ?? '');
  const context = { 'ses:FromAddress': [from.replace(/^.*<([^>]+)>.*$/, '$1')] };
  const arn = (resource: string) => `arn:aws:ses:${account.region}:${account.accountId}:${resource}`;
  const action = `ses:${command.replace(/Command$/, '')}`;
  return [
    { request: { action, resource: arn(`identity/${context['ses:FromAddress'][0]}`), context } },
    ...(typeof input.ConfigurationSetName === 'string'
      ? [{ request: { action, resource: arn(`configuration-set/${input.ConfigurationSetName}`), context } }]
      : []),
  ];
};

/** S3 object requests: the object ARN, and the conditional-write header as `s3:if-none-match`. */
const s3Accesses = (_account: LocalAccount, command: string, input: Json): Access[] => {
  const action = `s3:${command.replace(/Command$/, '').replace(/^ListObjectsV2$/, 'ListBucket')}`;
  const bucket = String(input.Bucket ?? '');
  const resource =
    typeof input.Key === 'string' ? `arn:aws:s3:::${bucket}/${input.Key}` : `arn:aws:s3:::${bucket}`;
  return [
    {
      request: {
        action,
        resource,
        ...(typeof input.IfNoneMatch === 'string' && {
          context: { 's3:if-none-match': [input.IfNoneMatch] },
        }),
      },
    },
  ];
};

/**
 * API Gateway Management API calls (the notifier's posts): `execute-api:ManageConnections` on
 * `<stage ARN>/<METHOD>/@connections/<id>`, the local stack's API being LOCAL_WEBSOCKET_API.
 */
const MANAGEMENT_METHODS: Readonly<Record<string, string>> = {
  PostToConnectionCommand: 'POST',
  GetConnectionCommand: 'GET',
  DeleteConnectionCommand: 'DELETE',
};
const executeApiAccesses = (account: LocalAccount, command: string, input: Json): Access[] => [
  {
    request: {
      action: 'execute-api:ManageConnections',
      resource: `arn:aws:execute-api:${account.region}:${account.accountId}:${LOCAL_WEBSOCKET_API.apiId}/${LOCAL_WEBSOCKET_API.stage}/${MANAGEMENT_METHODS[command] ?? '?'}/@connections/${String(input.ConnectionId ?? '')}`,
    },
  },
];

const ACCESSES: Record<AwsService, (account: LocalAccount, command: string, input: Json) => Access[]> = {
  dynamodb: dynamoDbAccesses,
  events: eventBridgeAccesses,
  ses: sesAccesses,
  s3: s3Accesses,
  'execute-api': executeApiAccesses,
};

// --- the decision -----------------------------------------------------------------------------------------

const EXCEPTIONS = {
  dynamodb: DynamoDBServiceException,
  events: EventBridgeServiceException,
  ses: SESv2ServiceException,
  s3: S3ServiceException,
  'execute-api': ApiGatewayManagementApiServiceException,
} as const;

/** What AWS answers, as the SDK deserializes it. */
const accessDenied = (service: AwsService, account: LocalAccount, functionName: string, why: string) => {
  const principal = `arn:aws:sts::${account.accountId}:assumed-role/${functionName}-role/${functionName}`;
  return new EXCEPTIONS[service]({
    name: 'AccessDeniedException',
    $fault: 'client',
    $metadata: { httpStatusCode: 400, requestId: `local-iam-${Date.now()}` },
    message: `User: ${principal} is not authorized to perform: ${why}`,
  });
};

const declaredKinds = (declaration: FunctionDeclaration, intent: 'read' | 'write'): readonly ItemKind[] =>
  (intent === 'read' ? declaration.access.table?.read : declaration.access.table?.write) ?? [];

/** The local-only item-kind check (see the top of this file); null when the access is fine. */
const kindRefusal = (
  declaration: FunctionDeclaration,
  access: Access,
  mainTableArn: string,
): string | null => {
  if (!access.key || !access.intent || access.request.resource !== mainTableArn) return null;
  // A projection without the table keys (e.g. a sparse index read for its sort keys): nothing to classify.
  if (access.key.pk === undefined && access.intent === 'read') return null;
  const kind = itemKindOf(access.key);
  if (!kind) return `an item of no known kind (pk ${String(access.key.pk).split('#')[0]}#…)`;
  if (kind === 'outboxEvent' && access.intent === 'write') {
    const emitted = (declaration.access.emits ?? []).map((event) => event.detailType);
    if (access.request.action !== 'dynamodb:PutItem')
      return 'a change to an outbox item (they are written once)';
    const undeclared = (access.detailTypes ?? ['?']).filter((detailType) => !emitted.includes(detailType));
    return undeclared.length === 0
      ? null
      : `an outbox item of "${undeclared.join('", "')}", which functions/${declaration.name}/function.ts does not declare in access.emits`;
  }
  if (kind === 'audit' && access.intent === 'write') {
    return access.request.action === 'dynamodb:PutItem' && declaration.access.table?.appendsAudit
      ? null
      : 'a change to an audit entry (entries are append-only: declare access.table.appendsAudit, Put only)';
  }
  return declaredKinds(declaration, access.intent).includes(kind)
    ? null
    : `${access.intent === 'read' ? 'a read' : 'a write'} of "${kind}" items, which functions/${declaration.name}/function.ts does not declare in access.table.${access.intent}`;
};

/** Read results: every item returned must be of a kind the function declares it reads. */
const returnedItems = (output: unknown): Array<{ pk?: unknown; sk?: unknown }> => {
  if (!isObject(output)) return [];
  const items: unknown[] = [];
  if (isObject(output.Item)) items.push(output.Item);
  if (Array.isArray(output.Items)) items.push(...output.Items);
  if (isObject(output.Responses)) {
    for (const list of Object.values(output.Responses)) if (Array.isArray(list)) items.push(...list);
  }
  return items.map(keyOf);
};

export interface IamEnforcement {
  /** The statements the local stack enforces for each function, by name: the enforcement table. */
  readonly table: ReadonlyMap<string, readonly PolicyStatement[]>;
  decorate(service: AwsService, client: DecoratableClient, declaration: FunctionDeclaration): void;
}

export const iamEnforcement = (options: {
  account: LocalAccount;
  resources: ServiceResources;
  declarations: readonly FunctionDeclaration[];
  /** Called on every refusal (the local stack logs it loudly: it is a deployment bug). */
  onDenied?: (functionName: string, reason: string) => void;
}): IamEnforcement => {
  const { account, resources } = options;
  const table = new Map(options.declarations.map((d) => [d.name, permissionsFor(d, resources)]));
  return {
    table,
    decorate(service, client, declaration) {
      const statements = table.get(declaration.name) ?? permissionsFor(declaration, resources);
      const deny = (why: string) => {
        options.onDenied?.(declaration.name, why);
        return accessDenied(service, account, declaration.name, why);
      };
      client.middlewareStack.add(
        (
          next: (args: { input?: unknown }) => Promise<{ output?: unknown }>,
          context: { commandName?: string },
        ) =>
          async (args: { input?: unknown }) => {
            const command = String(context.commandName ?? 'UnknownCommand');
            const accesses = ACCESSES[service](account, command, (args.input ?? {}) as Json);
            for (const access of accesses) {
              const { action, resource } = access.request;
              const decision = evaluate(statements, access.request);
              if (decision !== 'allowed') {
                const because =
                  decision === 'explicitDeny'
                    ? `with an explicit deny in an identity-based policy`
                    : `because no identity-based policy allows the ${action} action`;
                throw deny(`${action} on resource: ${resource} ${because}`);
              }
              const refusal = kindRefusal(declaration, access, resources.tableArn);
              if (refusal) throw deny(`${action} on resource: ${resource} (local check: ${refusal})`);
            }
            const result = await next(args);
            const onMainTable = (resource: string) =>
              resource === resources.tableArn || resource.startsWith(`${resources.tableArn}/index/`);
            if (service === 'dynamodb' && accesses.some((a) => onMainTable(a.request.resource))) {
              for (const key of returnedItems(result.output)) {
                const refusal = kindRefusal(
                  declaration,
                  {
                    request: { action: 'dynamodb:Query', resource: resources.tableArn },
                    key,
                    intent: 'read',
                  },
                  resources.tableArn,
                );
                if (refusal)
                  throw deny(`dynamodb:${command.replace(/Command$/, '')} (local check: ${refusal})`);
              }
            }
            return result;
          },
        { step: 'initialize', priority: 'low', name: 'localIamEnforcement', override: true },
      );
    },
  };
};

/**
 * One declaration per function (functions/<name>/function.ts): what triggers it,
 * who may call it, what it may touch. Everything else reads it —
 *
 *   - the CDK stacks: the function, its trigger (route, rule, schedule) and its
 *     IAM grants (shared/function-model/permissions.ts);
 *   - the local stack: the same routes, rules and schedules, and the same grants
 *     enforced on the function's SDK clients (local/iam-enforcement.ts);
 *   - the handler wrapper (shared/http/route.ts, shared/events-consumer.ts): role,
 *     validation, idempotency, audit, and the dependencies built at cold start;
 *   - the OpenAPI document (scripts/openapi-document.ts): summary, schemas, statuses.
 *
 * So nothing about a function is written twice, and a use case that starts
 * touching something its declaration does not name fails locally exactly as it
 * would fail in AWS: with AccessDeniedException.
 */

import type { EventDefinition } from '../../events/define.ts';
import type { ItemKind } from '../db/keys.ts';
import type { IndexName } from '../db/table-definition.ts';
import type { PractitionerAuditAction } from '../domain/audit.ts';
import type { QuotaName } from '../domain/quotas.ts';
import type { ResponseName } from '../http/response-schemas.ts';
import type * as z from '../validation.ts';

/**
 * `assistant` (SPEC 11.2): a secretary or assistant with an account of their own in
 * the professionals' pool, who works practitioners' inboxes under a grant
 * (docs/adr/0015-practice-teams.md): on practitioner routes with `On-Behalf-Of`,
 * and on the `/v1/assistant/` routes for themselves.
 */
export type Role = 'practitioner' | 'patient' | 'assistant';

/**
 * What a practitioner delegates (SPEC 11.2): `inbox` (threads, summary, replies,
 * templates), `patients` (records, block/allow), `settings`.
 */
export const DELEGATION_SCOPES = ['inbox', 'patients', 'settings'] as const;
export type DelegationScope = (typeof DELEGATION_SCOPES)[number];

/**
 * The Cognito user pool (and app client) whose tokens a role's routes accept
 * (docs/adr/0009-professional-accounts.md): professionals sign in to a pool
 * that requires TOTP MFA, patients to their own. The HTTP API has one JWT
 * authorizer per pool and the local API verifies against the same one, so a
 * patient-pool token never reaches a practitioner route, whatever its claims.
 */
export type UserPoolName = 'patients' | 'professionals';
export const USER_POOL_OF_ROLE: Readonly<Record<Role, UserPoolName>> = {
  practitioner: 'professionals',
  assistant: 'professionals',
  patient: 'patients',
};

/**
 * Lifetime of a pool's ID and access tokens, in minutes: what a stolen token is
 * worth, and how long a disabled account keeps access (the authorizer does not
 * see revocations; docs/runbook.md). Short for professionals, whose token opens
 * every one of their patients' threads.
 */
export const TOKEN_MINUTES: Readonly<Record<UserPoolName, number>> = { patients: 60, professionals: 15 };

/**
 * The token type the API takes: Cognito ID tokens (`token_use: "id"`), the ones
 * that carry `custom:role`. The authorizer alone would also let an access token
 * of the same app client through (it matches `client_id` against the audience),
 * so the local authorizer and the handler wrapper both check the claim.
 */
export const ACCEPTED_TOKEN_USE = 'id';
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** What a function does with the single table, by item kind (shared/db/keys.ts ITEM_KINDS). */
export interface TableAccess {
  /** Kinds it reads: GetItem, BatchGetItem, Query, and ConditionCheck in a transaction. */
  readonly read?: readonly ItemKind[];
  /** Kinds it creates, changes or deletes (alone or in a transaction). */
  readonly write?: readonly ItemKind[];
  /** Indexes it queries. */
  readonly indexes?: readonly IndexName[];
  /** It appends audit entries: PutItem on `AUDIT#` partitions only, never an update or a delete. */
  readonly appendsAudit?: boolean;
  /** It writes with BatchWriteItem (otherwise only one item at a time or in transactions). */
  readonly batchWrites?: boolean;
}

export interface FunctionAccess {
  readonly table?: TableAccess;
  /**
   * Events its changes cause: written to the transactional outbox in the change's
   * own transaction (PutItem on `OUTBOX#` partitions), put on the bus by the
   * outbox publisher. Locally, an outbox item of another event is refused.
   */
  readonly emits?: readonly EventDefinition[];
  /** Events it puts on the service's bus itself (only the outbox publisher), and no others. */
  readonly publishes?: readonly EventDefinition[];
  /**
   * It writes the shipped audit chain (functions/audit-shipper only): s3:PutObject on the
   * Object Lock bucket, and only with `If-None-Match: *`; never a delete, a retention or a legal hold.
   */
  readonly archivesAudit?: boolean;
  /** It sends email through SES: its handler is given the SES mailer, and only it gets ses:SendEmail. */
  readonly sendsEmail?: boolean;
  /**
   * What it does with the patients' export files (the export bucket, `exports/*`):
   * read = GetObject (presigned downloads are signed with its role), write =
   * PutObject, delete = DeleteObject; with the data key's use for them.
   */
  readonly exportFiles?: readonly ('read' | 'write' | 'delete')[];
  /**
   * It posts to (and closes) the WebSocket API's connections (SPEC 11.4): execute-api:ManageConnections on
   * that API's `@connections` only. Such a function lives in the Realtime stack, next to the API.
   */
  readonly postsToConnections?: boolean;
  /**
   * What it does with the attachments' objects (the attachments bucket, `attachments/*`,
   * docs/adr/0016-attachments.md): `upload` = it signs presigned PUTs (s3:PutObject),
   * `download` = presigned GETs (s3:GetObject), `read` = it reads objects itself (s3:GetObject),
   * `delete` = s3:DeleteObject; with the data key's use for them.
   */
  readonly attachmentFiles?: readonly ('upload' | 'download' | 'read' | 'delete')[];
}

interface DeclarationBase {
  /** Folder under functions/, Lambda name suffix, construct id. */
  readonly name: string;
  /** One line: what the function does (Lambda description, OpenAPI summary). */
  readonly summary: string;
  readonly access: FunctionAccess;
}

/**
 * Statuses a route answers, each with the name of its body schema
 * (shared/http/response-schemas.ts; null: no body, e.g. 204). A zod schema in
 * place of a name is for test routes only: it would be bundled with the Lambda
 * (test/unit/response-schemas.test.ts holds every real function to names).
 */
export type ResponseSchemas = Readonly<Record<number, ResponseName | z.core.$ZodType | null>>;

export interface HttpFunctionDeclaration<
  P extends z.core.$ZodType = z.core.$ZodType,
  Q extends z.core.$ZodType = z.core.$ZodType,
  B extends z.core.$ZodType = z.core.$ZodType,
  R extends ResponseSchemas = ResponseSchemas,
> extends DeclarationBase {
  readonly trigger: 'http';
  readonly method: HttpMethod;
  /** API Gateway path, with `{param}` segments. */
  readonly path: string;
  readonly role: Role;
  /**
   * On practitioner routes: the delegation scope an assistant's grant must cover
   * to call it with `On-Behalf-Of` (checked once, in shared/http/route.ts; the
   * route then reads the grant item: `delegateGrant` in `access.table.read`).
   * Absent: the practitioner alone (the delegation routes themselves).
   */
  readonly scope?: DelegationScope;
  readonly params?: P;
  readonly query?: Q;
  readonly body?: B;
  /** Success statuses with their body schemas; the lowest status is the default answer. */
  readonly responses: R;
  /**
   * Safe to retry with an `Idempotency-Key` header (every POST that creates
   * something): run at most once per (caller, route, key), through Powertools
   * Idempotency on its own table (read/write on that table only).
   */
  readonly idempotent?: boolean;
  /**
   * A practitioner's change outside any thread, recorded in the practitioner's
   * audit trail after success (ids and field names only). Requires
   * `access.table.appendsAudit`.
   */
  readonly auditAs?: PractitionerAuditAction;
  /**
   * The per-user quotas this route counts (shared/domain/quotas.ts): past one, 429
   * `QUOTA_EXCEEDED` (a count) or `RATE_LIMITED` (a Paris-day window) with
   * `Retry-After`, stated in the route's OpenAPI 429 answer.
   */
  readonly limitedBy?: readonly QuotaName[];
}

export interface EventFunctionDeclaration extends DeclarationBase {
  readonly trigger: 'event';
  /**
   * The EventBridge rule that delivers these events to it: on the service's bus, or on the
   * account's default bus for the events AWS services publish there (S3, GuardDuty). Locally
   * there is one bus.
   */
  readonly rule: {
    readonly name: string;
    readonly events: readonly EventDefinition[];
    readonly bus?: 'service' | 'default';
    /**
     * AWS services' events about S3 objects (events with `s3Object`): only those of this bucket of ours,
     * under this key prefix. The default bus carries them for every bucket of the account.
     */
    readonly objects?: { readonly bucket: RuleBucket; readonly keyPrefix: string };
  };
}

/** The buckets a rule can be limited to; each stack passes their names (triggers.ts resolveRule). */
export type RuleBucket = 'attachments';

export interface ScheduledFunctionDeclaration extends DeclarationBase {
  readonly trigger: 'schedule';
  /** A scheduled rule (a timer in the local stack). */
  readonly schedule: { readonly name: string; readonly everyMinutes: number };
}

/** How the table's stream is read for a function (a Lambda event source mapping in AWS, a poller locally). */
export interface StreamSettings {
  /**
   * Lambda event filter patterns on the stream records (EventBridge pattern
   * syntax): records matching none never reach the function — the outbox
   * publisher never even receives a message item, so never its text.
   */
  readonly filters: readonly Readonly<Record<string, unknown>>[];
  readonly batchSize: number;
  readonly maxBatchingWindowSeconds: number;
  /** Retries of a failing batch (split in two each time: bisect on error), then its records go to the DLQ. */
  readonly retryAttempts: number;
  readonly maxRecordAgeSeconds: number;
  /** Concurrent batches per shard (records of one item stay in order). */
  readonly parallelizationFactor: number;
}

export interface StreamFunctionDeclaration extends DeclarationBase {
  readonly trigger: 'stream';
  readonly stream: StreamSettings;
}

/**
 * The answer for what no route serves: 405 with `Allow` on a known path, else 404. In AWS it sits
 * behind one greedy `ANY /v1/<role>/{proxy+}` route per role (API Gateway prefers any route with
 * the exact method and path); locally the router hands it the same event. It touches nothing.
 */
export interface MethodFallbackDeclaration extends DeclarationBase {
  readonly trigger: 'method-fallback';
}

/** The WebSocket API's routes a function serves (SPEC 11.4); `$default` is not served (clients only listen). */
export type WebSocketRoute = '$connect' | '$disconnect';

/** A route of the WebSocket API (Realtime stack); `$connect` sits behind the WebSocket authorizer. */
export interface WebSocketFunctionDeclaration extends DeclarationBase {
  readonly trigger: 'websocket';
  readonly route: WebSocketRoute;
}

/**
 * The `$connect` Lambda authorizer of the WebSocket API: it verifies the token (query parameter `token`)
 * against both user pools with the HTTP authorizers' rules, and hands the role and user id to the routes.
 */
export interface WebSocketAuthorizerDeclaration extends DeclarationBase {
  readonly trigger: 'websocket-authorizer';
}

export type FunctionDeclaration =
  | WebSocketFunctionDeclaration
  | WebSocketAuthorizerDeclaration
  | HttpFunctionDeclaration
  | EventFunctionDeclaration
  | ScheduledFunctionDeclaration
  | StreamFunctionDeclaration
  | MethodFallbackDeclaration;

/** Typed constructors: they only check the shape at compile time and return the declaration as is. */
export const httpFunction = <
  P extends z.core.$ZodType = z.core.$ZodUndefined,
  Q extends z.core.$ZodType = z.core.$ZodUndefined,
  B extends z.core.$ZodType = z.core.$ZodUndefined,
  const R extends ResponseSchemas = ResponseSchemas,
>(
  declaration: Omit<HttpFunctionDeclaration<P, Q, B, R>, 'trigger'>,
): HttpFunctionDeclaration<P, Q, B, R> => ({ trigger: 'http', ...declaration });

export const eventFunction = (
  declaration: Omit<EventFunctionDeclaration, 'trigger'>,
): EventFunctionDeclaration => ({ trigger: 'event', ...declaration });

export const streamFunction = (
  declaration: Omit<StreamFunctionDeclaration, 'trigger'>,
): StreamFunctionDeclaration => ({ trigger: 'stream', ...declaration });

export const scheduledFunction = (
  declaration: Omit<ScheduledFunctionDeclaration, 'trigger'>,
): ScheduledFunctionDeclaration => ({ trigger: 'schedule', ...declaration });

export const webSocketFunction = (
  declaration: Omit<WebSocketFunctionDeclaration, 'trigger'>,
): WebSocketFunctionDeclaration => ({ trigger: 'websocket', ...declaration });

export const webSocketAuthorizer = (
  declaration: Omit<WebSocketAuthorizerDeclaration, 'trigger'>,
): WebSocketAuthorizerDeclaration => ({ trigger: 'websocket-authorizer', ...declaration });

/** The functions of the Realtime stack: the WebSocket API's routes and authorizer, and what posts to it. */
export const isRealtime = (d: FunctionDeclaration): boolean =>
  d.trigger === 'websocket' || d.trigger === 'websocket-authorizer' || d.access.postsToConnections === true;

export const methodFallbackFunction = (
  declaration: Omit<MethodFallbackDeclaration, 'trigger'>,
): MethodFallbackDeclaration => ({ trigger: 'method-fallback', ...declaration });

/** API Gateway route key, e.g. "POST /v1/patient/threads". */
export const routeKey = (route: { readonly method: string; readonly path: string }): string =>
  `${route.method} ${route.path}`;

export const isHttp = (d: FunctionDeclaration): d is HttpFunctionDeclaration => d.trigger === 'http';

/** The default success status of a route: the lowest one it declares (object keys that are integers iterate in ascending order). */
export const defaultStatus = (d: Pick<HttpFunctionDeclaration, 'responses'>): number => {
  const first = Object.keys(d.responses)[0];
  if (first === undefined) throw new Error('A route must declare at least one success status');
  return Number(first);
};

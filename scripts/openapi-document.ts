/**
 * Builds the OpenAPI 3.1 document from the code itself: each route's
 * declaration (functions/<name>/function.ts, listed in functions/catalog.ts)
 * gives its method, path, role, summary, the zod schemas its handler validates
 * with and its success statuses with their body schemas, turned into JSON
 * Schema by zod's own `z.toJSONSchema`. So the document cannot say something
 * the handlers do not enforce.
 *
 *   buildOpenApiDocument(): Promise<OpenApiDocument>
 *   serializeOpenApi(doc): string                       (the bytes of openapi.json)
 *
 * `npm run openapi` writes openapi.json; test/unit/openapi.test.ts fails when the
 * committed file is stale.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FUNCTIONS } from '../functions/catalog.ts';
import type { ErrorCode } from '../shared/domain/errors.ts';
import { REFUSAL_TEXTS } from '../shared/domain/messaging-rules.ts';
import { type HttpFunctionDeclaration, routeKey } from '../shared/function-model/declaration.ts';
import { httpRoutes } from '../shared/function-model/triggers.ts';
import { STATUS_BY_CODE } from '../shared/http/errors.ts';
import { IDEMPOTENCY_KEY_PATTERN, MAX_REQUEST_BYTES } from '../shared/http/route.ts';
import { responseExamples } from '../shared/http/view-examples.ts';
import { type ResponseSchemaName, responseSchemas, viewRegistry } from '../shared/http/view-schemas.ts';
import * as z from '../shared/validation.ts';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const OPENAPI_FILE = `${REPO_ROOT}openapi.json`;

type JsonSchema = Record<string, unknown>;
// biome-ignore lint/suspicious/noExplicitAny: an OpenAPI document is free-form JSON
export type OpenApiDocument = Record<string, any>;

const SUCCESS_DESCRIPTIONS: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  202: 'Accepted: it will happen asynchronously or at the time asked',
};

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'The request is not valid (field-level details, never the rejected values)',
  401: 'No valid bearer token',
  403: 'Wrong role for this route, or a messaging refusal',
  404: 'Not found — also for another practitioner’s or patient’s resources',
  409: 'The thread is closed, it changed since the caller saw it (THREAD_CHANGED: details.newerMessageIds), or a concurrent change won',
  413: `The request body exceeds ${MAX_REQUEST_BYTES} bytes`,
  422: 'A template variable is unknown or has no value, or an Idempotency-Key was reused for another request',
  429: 'Too many: a same-day cooldown (`COOLDOWN`, `details.retryAfter`), a per-user count at its limit (`QUOTA_EXCEEDED`) or a per-day window used up (`RATE_LIMITED`, until the next Paris midnight); the last two with `Retry-After` (seconds) and `details` `{quota, limit, retryAfterSeconds}`',
  500: 'Unexpected failure (nothing is leaked)',
  503: 'The function timed out, or (locally) the stack is still starting',
};

/**
 * One example of each refusal, by code (shown under each error status a route declares): the
 * texts the code really answers (shared/domain/errors.ts, REFUSAL_TEXTS in messaging-rules.ts).
 */
export const ERROR_EXAMPLES: Readonly<Record<ErrorCode, { message: string; details?: unknown }>> = {
  VALIDATION_ERROR: {
    message: 'The request body is not valid',
    details: [
      {
        path: ['body'],
        code: 'too_small',
        message: 'Too small: expected string to have >=1 characters',
      },
    ],
  },
  UNAUTHENTICATED: { message: 'A valid token is required' },
  FORBIDDEN: { message: 'This route is for practitioner accounts' },
  PATIENT_BLOCKED: { message: REFUSAL_TEXTS.PATIENT_BLOCKED },
  MESSAGING_CLOSED: {
    message: 'Le cabinet est fermé jusqu’au 20 mai. En cas de besoin, contactez le secrétariat.',
    details: { reopensAt: '2024-05-20T06:00:00.000Z' },
  },
  NOT_IN_PATIENT_BASE: { message: REFUSAL_TEXTS.NOT_IN_PATIENT_BASE },
  NOT_ALLOWED: { message: REFUSAL_TEXTS.NOT_ALLOWED_SELECTED },
  REPLY_NOT_ALLOWED: { message: REFUSAL_TEXTS.REPLY_NOT_ALLOWED },
  NOT_FOUND: { message: 'Thread not found' },
  THREAD_CLOSED: { message: REFUSAL_TEXTS.THREAD_CLOSED },
  CONFLICT: { message: 'The settings changed at the same time: try again' },
  THREAD_CHANGED: {
    message:
      'The patient wrote since you last saw this conversation: read the new messages before marking it treated.',
    details: { newerMessageIds: ['01JD8ZF1H2J3K4M5N6P7Q8R9S0'] },
  },
  PAYLOAD_TOO_LARGE: { message: `The request body exceeds ${MAX_REQUEST_BYTES} bytes` },
  TEMPLATE_VARIABLE_MISSING: {
    message:
      'The template uses {{appointment.date}} but there is no value for it in this message (send it about an appointment that has it)',
    details: { variable: 'appointment.date' },
  },
  TEMPLATE_VARIABLE_UNKNOWN: {
    message: 'Unknown or malformed template variable: patient.age',
    details: { variable: 'patient.age' },
  },
  IDEMPOTENCY_KEY_REUSED: {
    message:
      'This Idempotency-Key was already used with a different request; use a new key for a new request.',
  },
  COOLDOWN: {
    message:
      'Votre praticien a traité votre dernière demande aujourd’hui. Vous pourrez lui adresser une nouvelle demande à partir du mercredi 15 mai 2024 à 00h00.',
    details: { retryAfter: '2024-05-14T22:00:00.000Z' },
  },
  QUOTA_EXCEEDED: {
    message: 'Limit reached (3): try again later.',
    details: { quota: 'openRequestsPerPatientPerPractitioner', limit: 3, retryAfterSeconds: 3600 },
  },
  RATE_LIMITED: {
    message: 'Limit reached (10): try again later.',
    details: { quota: 'patientRequestsPerDay', limit: 10, retryAfterSeconds: 41_400 },
  },
  METHOD_NOT_ALLOWED: { message: 'DELETE is not served here; use GET, PATCH' },
  HEADERS_TOO_LARGE: { message: 'The request headers are too large.' },
  INTERNAL_ERROR: { message: 'Something went wrong on our side' },
};

const errorExamples = (codes: readonly ErrorCode[]) =>
  Object.fromEntries(
    codes.map((code) => [code, { summary: code, value: { error: { code, ...ERROR_EXAMPLES[code] } } }]),
  );

/** The SPEC's codes answered with each status (shared/http/errors.ts is the one mapping). */
export const codesByStatus = (): Map<number, ErrorCode[]> => {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const [code, status] of Object.entries(STATUS_BY_CODE) as Array<[ErrorCode, number]>) {
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return new Map([...byStatus].sort(([a], [b]) => a - b));
};

/** zod → JSON Schema 2020-12 (what OpenAPI 3.1 uses), describing what a client may SEND. */
const toJsonSchema = (schema: z.core.$ZodType, io: 'input' | 'output' = 'input'): JsonSchema => {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    io,
    target: 'draft-2020-12',
    // Refinements (e.g. "body or templateId") cannot be expressed; the handler still enforces them.
    unrepresentable: 'any',
  }) as JsonSchema;
  return rest;
};

const objectProperties = (
  schema: z.core.$ZodType,
  where: string,
): { properties: Record<string, JsonSchema>; required: string[] } => {
  const json = toJsonSchema(schema);
  if (json.type !== 'object' || typeof json.properties !== 'object' || json.properties === null) {
    throw new Error(`The ${where} schema must be a zod object`);
  }
  return {
    properties: json.properties as Record<string, JsonSchema>,
    required: Array.isArray(json.required) ? (json.required as string[]) : [],
  };
};

/** The component name of a response schema (its registry `id`, shared/http/view-schemas.ts). */
const componentName = (name: ResponseSchemaName): string => {
  const meta = viewRegistry.get(responseSchemas[name]);
  if (!meta?.id) throw new Error(`The response schema "${name}" has no id in viewRegistry`);
  return meta.id;
};

/** A declared success body: a reference to its named schema, with its example. */
const successContent = (route: HttpFunctionDeclaration, declared: ResponseSchemaName | z.core.$ZodType) => {
  if (typeof declared !== 'string') {
    // Only test routes declare a schema in place of a name (it would be bundled with the Lambda).
    throw new Error(`${routeKey(route)}: declare its responses by name (shared/http/response-schemas.ts)`);
  }
  const id = componentName(declared);
  return {
    schema: { $ref: `#/components/schemas/${id}` },
    examples: { [id]: { summary: `A ${id}`, value: responseExamples[declared] } },
  };
};

/**
 * Every view schema, named (`components.schemas`): the registry converted in one go, so a view
 * used by several bodies (a thread, a message) is one schema that they reference.
 */
const viewComponents = (): Record<string, JsonSchema> => {
  const { schemas } = z.toJSONSchema(viewRegistry, {
    io: 'output',
    target: 'draft-2020-12',
    unrepresentable: 'any',
    metadata: viewRegistry,
    uri: (id) => `#/components/schemas/${id}`,
  }) as { schemas: Record<string, JsonSchema> };
  return Object.fromEntries(
    Object.entries(schemas)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([id, { $schema: _dialect, $id: _id, ...schema }]) => [id, schema]),
  );
};

const operationId = (name: string) => name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

const errorRef = (status: number) => ({ $ref: `#/components/responses/Error${status}` });

/** Error statuses a route may answer: always 401/403/404/500, 400 when it validates anything, refusals on writes. */
const errorStatuses = (route: HttpFunctionDeclaration): number[] => {
  const spec = route;
  const statuses = new Set([401, 403, 404, 500, 503]);
  // A malformed Idempotency-Key (or an assistant's On-Behalf-Of) is a 400 too (shared/http/route.ts).
  if (spec.params || spec.query || spec.body || spec.idempotent || spec.scope) statuses.add(400);
  if (spec.body) statuses.add(413);
  if (route.method !== 'GET') {
    statuses.add(409);
    statuses.add(422);
    statuses.add(429);
  }
  return [...statuses].sort((a, b) => a - b);
};

/**
 * What each parameter means, by name: one wording for a name wherever it appears. A parameter
 * without an entry fails the generation (the lint rules want every parameter described).
 */
const PARAMETER_DESCRIPTIONS: Readonly<Record<string, string>> = {
  threadId: 'The thread (as returned by a thread list or a start).',
  messageId: 'The message, in the thread of the path.',
  practitionerId: 'The practitioner (their user id, the `sub` of their token).',
  patientId: 'The patient (their user id, the `sub` of their token).',
  appointmentId: 'The appointment, as the agenda identifies it.',
  scheduledMessageId: 'The scheduled message.',
  automationId: 'The automation.',
  templateId: 'The template.',
  communicationId: 'The group communication.',
  exportId: 'The export, as `POST /v1/patient/exports` returned it.',
  assistantId: 'The assistant (their user id in the professionals’ pool, the `sub` of their token).',
  attachmentId: 'The attachment, as a message of the thread of the path shows it.',
  limit: 'Page size: at most this many items.',
  from: 'First day of the period, `YYYY-MM-DD`, in the practice’s time zone (at most 366 days with `to`).',
  to: 'Last day of the period, `YYYY-MM-DD`, included.',
  cursor: 'Opaque: the `nextCursor` of the previous page. Absent for the first page.',
  status: '`scheduled` lists the messages still to send; `all` also the sent and cancelled ones.',
  filter: 'Which threads: all, open (not closed), closed, or untreated (a patient message waits).',
  assignee:
    'Triage: the open threads assigned to `me` (the caller: the practitioner, or the assistant acting for them), ' +
    '`none` (unassigned) or to this id. Alone or with `filter=open`.',
};

const parameterDescription = (route: HttpFunctionDeclaration, name: string): string => {
  const description = PARAMETER_DESCRIPTIONS[name];
  if (!description)
    throw new Error(`${routeKey(route)}: describe the parameter "${name}" in PARAMETER_DESCRIPTIONS`);
  return description;
};

const pathParameterNames = (path: string) => [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] as string);

const buildOperation = (route: HttpFunctionDeclaration) => {
  const spec = route;
  const parameters: JsonSchema[] = [];
  const names = pathParameterNames(route.path);
  if (names.length > 0) {
    if (!spec.params)
      throw new Error(
        `${routeKey(route)}: the path has {${names.join('}, {')}} but the handler has no params schema`,
      );
    const { properties } = objectProperties(spec.params, `${routeKey(route)} params`);
    const declared = Object.keys(properties).sort();
    if (declared.join() !== [...names].sort().join()) {
      throw new Error(
        `${routeKey(route)}: path parameters {${names.join(', ')}} ≠ params schema (${declared.join(', ')})`,
      );
    }
    for (const name of names)
      parameters.push({
        name,
        in: 'path',
        required: true,
        description: parameterDescription(route, name),
        schema: properties[name],
      });
  } else if (spec.params) {
    throw new Error(`${routeKey(route)}: a params schema but no {parameter} in the path`);
  }
  if (spec.query) {
    const { properties, required } = objectProperties(spec.query, `${routeKey(route)} query`);
    for (const [name, schema] of Object.entries(properties)) {
      parameters.push({
        name,
        in: 'query',
        required: required.includes(name),
        description: parameterDescription(route, name),
        schema,
      });
    }
  }
  if (spec.scope) {
    parameters.push({
      name: 'On-Behalf-Of',
      in: 'header',
      required: false,
      description:
        `An assistant's call (token \`custom:role: assistant\`): the practitioner they act for, who must have ` +
        `delegated the \`${spec.scope}\` scope to them (else 403 \`FORBIDDEN\`, also once revoked). ` +
        'Ignored on a practitioner’s own token.',
      schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,128}$' },
    });
  }
  if (spec.idempotent) {
    parameters.push({
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      description:
        'Makes a retry safe: the same key and request within 24 h answers the first response ' +
        '(header `idempotent-replayed: true`) and writes nothing; the same key with a different request ' +
        'is a 422 `IDEMPOTENCY_KEY_REUSED`. Per caller and route.',
      schema: { type: 'string', pattern: IDEMPOTENCY_KEY_PATTERN.source },
    });
  }

  const responses: Record<string, unknown> = {};
  for (const [status, declared] of Object.entries(route.responses)) {
    responses[status] = declared
      ? {
          description: SUCCESS_DESCRIPTIONS[Number(status)] ?? 'OK',
          content: { 'application/json': successContent(route, declared) },
        }
      : { description: 'Done (no content)' };
  }
  for (const status of errorStatuses(route)) responses[String(status)] = errorRef(status);
  if (route.limitedBy?.length) {
    // The route's own quotas (its declaration's `limitedBy`): what a 429 means here.
    responses['429'] = {
      ...errorRef(429),
      description: `${ERROR_DESCRIPTIONS[429]}. Counted here: ${route.limitedBy.map((q) => `\`${q}\``).join(', ')} (values per stage: README, Quotas).`,
    };
  }

  const summary = route.summary;
  return {
    operationId: operationId(route.name),
    summary,
    description: spec.scope
      ? `Function \`${route.name}\`. Needs a bearer JWT whose \`custom:role\` is \`${route.role}\` (the caller is its \`sub\`), ` +
        `or an assistant's with \`On-Behalf-Of\` and the \`${spec.scope}\` scope delegated (scope: \`${spec.scope}\`).`
      : `Function \`${route.name}\`. Needs a bearer JWT whose \`custom:role\` is \`${route.role}\`; the caller is its \`sub\`.`,
    tags: [route.role],
    security: [{ bearerJwt: [] }],
    ...(parameters.length > 0 && { parameters }),
    ...(spec.body && {
      requestBody: {
        // An empty body is read as {} (shared/http/route.ts): optional when the schema accepts {}.
        required: !z.safeParse(spec.body, {}).success,
        content: { 'application/json': { schema: toJsonSchema(spec.body) } },
      },
    }),
    responses,
  };
};

/** `used`: the error statuses some operation answers (a component nothing refers to is lint noise). */
const components = (used: ReadonlySet<number>) => {
  const byStatus = codesByStatus();
  const responses: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {
    ...viewComponents(),
    Error: {
      type: 'object',
      description: 'Every refusal. `message` is safe to show; `details` lists the faulty fields on a 400.',
      required: ['error'],
      additionalProperties: false,
      properties: {
        error: {
          type: 'object',
          required: ['code', 'message'],
          additionalProperties: false,
          properties: {
            code: { type: 'string', enum: [...byStatus.values()].flat() },
            message: { type: 'string' },
            details: {},
          },
        },
      },
    },
    ValidationDetails: {
      type: 'array',
      description: 'One entry per faulty field; the rejected value is never echoed (it may be health data).',
      items: {
        type: 'object',
        required: ['path', 'code', 'message'],
        properties: {
          path: { type: 'array', items: { type: 'string' } },
          code: { type: 'string' },
          message: { type: 'string' },
        },
      },
    },
  };
  for (const [status, codes] of byStatus) {
    if (!used.has(status)) continue;
    responses[`Error${status}`] = {
      description: `${ERROR_DESCRIPTIONS[status] ?? 'Error'} — ${codes.map((c) => `\`${c}\``).join(', ')}`,
      content: {
        'application/json': {
          schema: {
            allOf: [
              { $ref: '#/components/schemas/Error' },
              {
                type: 'object',
                properties: {
                  error: {
                    type: 'object',
                    // Lists every field again (as the base does) so validators that close objects
                    // branch by branch (Redocly's example check) accept a full error.
                    properties: {
                      code: { enum: codes },
                      message: { type: 'string' },
                      details: status === 400 ? { $ref: '#/components/schemas/ValidationDetails' } : {},
                    },
                  },
                },
              },
            ],
          },
          examples: errorExamples(codes),
        },
      },
    };
  }
  // Quota refusals say when to come back (shared/http/errors.ts).
  (responses.Error429 as Record<string, unknown>).headers = {
    'Retry-After': {
      description:
        'Seconds to wait: until the next Europe/Paris midnight for `RATE_LIMITED`, a hint for `QUOTA_EXCEEDED` (a slot frees when something is treated, closed or deleted). Absent on `COOLDOWN`.',
      schema: { type: 'integer', minimum: 1 },
    },
  };
  // A function that crashes or times out never writes its own answer: API Gateway does, in its own
  // shape (`{"message": "Internal Server Error"}` / `{"message": "Service Unavailable"}`), and the local
  // stack copies it. Locally, a request before every handler is loaded gets 503 STARTING.
  schemas.GatewayError = {
    type: 'object',
    description: 'Answered by API Gateway itself (the function crashed or timed out): no code, no details.',
    required: ['message'],
    additionalProperties: false,
    properties: { message: { type: 'string' } },
  };
  const error500 = responses.Error500 as {
    content: { 'application/json': { schema: JsonSchema; examples: Record<string, unknown> } };
  };
  error500.content['application/json'].schema = {
    anyOf: [error500.content['application/json'].schema, { $ref: '#/components/schemas/GatewayError' }],
  };
  error500.content['application/json'].examples.GatewayError = {
    summary: 'API Gateway (the function crashed)',
    value: { message: 'Internal Server Error' },
  };
  responses.Error503 = {
    description: `${ERROR_DESCRIPTIONS[503]} — API Gateway's \`{"message"}\`, or \`STARTING\` with \`Retry-After\``,
    content: {
      'application/json': {
        schema: {
          anyOf: [
            { $ref: '#/components/schemas/GatewayError' },
            {
              type: 'object',
              required: ['error'],
              additionalProperties: false,
              properties: {
                error: {
                  type: 'object',
                  required: ['code', 'message'],
                  additionalProperties: false,
                  properties: { code: { const: 'STARTING' }, message: { type: 'string' } },
                },
              },
            },
          ],
        },
        examples: {
          GatewayError: {
            summary: 'API Gateway (the function timed out)',
            value: { message: 'Service Unavailable' },
          },
          STARTING: {
            summary: 'Local stack only: still loading its handlers (Retry-After: 1)',
            value: {
              error: {
                code: 'STARTING',
                message:
                  'The local stack is starting: its handlers are not all loaded yet. Retry in a second.',
              },
            },
          },
        },
      },
    },
  };
  return {
    securitySchemes: {
      bearerJwt: {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description:
          'A Cognito ID token (`token_use` `id`; an access token answers 401) in AWS; locally, ' +
          '`POST /local/token {"sub","role"}` answers `{"token"}`. The role is the `custom:role` claim ' +
          '(`practitioner` or `patient`), and each role has its own user pool: practitioner routes take only ' +
          "tokens of the professionals' pool (TOTP MFA required, 15-minute tokens), patient routes only the " +
          "patients' (1 hour); a token of the other pool answers 401.",
      },
    },
    schemas,
    responses,
  };
};

const packageVersion = (): string =>
  (JSON.parse(readFileSync(`${REPO_ROOT}package.json`, 'utf8')) as { version: string }).version;

export const buildOpenApiDocument = async (
  routes: readonly HttpFunctionDeclaration[] = httpRoutes(FUNCTIONS),
): Promise<OpenApiDocument> => {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    paths[route.path] ??= {};
    (paths[route.path] as Record<string, unknown>)[route.method.toLowerCase()] = buildOperation(route);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Patient messaging API',
      version: packageVersion(),
      description: [
        'Secure messaging between practitioners and their patients (see the README).',
        '',
        'Every route needs `Authorization: Bearer <JWT>`. Errors are `{"error": {"code", "message", "details"?}}`;',
        'someone else’s resource is always `404 NOT_FOUND`. Messaging is not for emergencies: call 15 or 112.',
        'A listed path called with a method it does not list answers `405 METHOD_NOT_ALLOWED` with an `Allow` header;',
        'headers over the server’s limit, `431 HEADERS_TOO_LARGE` (the local stack; API Gateway answers those itself).',
        '',
        'Generated from the function declarations and their zod schemas (`npm run openapi`); do not edit by hand.',
      ].join('\n'),
      contact: {
        name: 'Patient messaging team',
        url: 'https://patient-messaging.example.com/developers',
        email: 'api@patient-messaging.example.com',
      },
      license: { name: 'Proprietary', url: 'https://patient-messaging.example.com/terms' },
    },
    // Relative in the file; the local stack serves it with its own origin (local/docs.ts).
    servers: [{ url: '/', description: 'The API serving this document' }],
    tags: [
      { name: 'assistant', description: 'Routes for assistants themselves (`custom:role = assistant`)' },
      { name: 'patient', description: 'Routes for patients (`custom:role = patient`)' },
      {
        name: 'practitioner',
        description:
          'Routes for practitioners (`custom:role = practitioner`), and for their assistants with `On-Behalf-Of` where a scope is delegated',
      },
    ],
    security: [{ bearerJwt: [] }],
    paths,
    components: components(new Set(routes.flatMap(errorStatuses))),
  };
};

/** The exact bytes of the committed openapi.json. */
export const serializeOpenApi = (doc: OpenApiDocument): string => `${JSON.stringify(doc, null, 2)}\n`;

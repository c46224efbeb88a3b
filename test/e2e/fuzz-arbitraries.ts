/**
 * Generators for the fuzz suite (fuzz.test.ts): whole HTTP requests for one route,
 * derived from the route table and the route's OpenAPI operation (itself generated
 * from the handler's zod schemas), so new routes are fuzzed without new code.
 *
 * A request mixes, per part:
 *   path params  seeded ids (the caller's and other users'), random well-formed ids,
 *                unicode / huge / reserved-character ids, malformed percent-encoding
 *   query        schema-shaped values, wrong types, unknown keys, duplicates, huge values
 *   headers      odd content types, random names and latin-1 values, idempotency keys…
 *   auth         the right role, the other role, strangers, expired / forged / garbage tokens
 *   body         near-valid bodies from the JSON Schema (then mutated: missing or unknown
 *                fields, wrong types, 5,001 chars, > 64 KB, unicode edge cases) and raw
 *                bytes (malformed JSON, arrays, scalars, BOM, invalid UTF-8, duplicate keys)
 */
import fc from 'fast-check';
import type { HttpFunctionDeclaration as RouteDefinition } from '../../shared/function-model/declaration.ts';

type JsonSchema = Record<string, unknown>;

export interface Seeded {
  /** Every seeded id by kind, for path params and body fields. */
  ids: Record<
    | 'thread'
    | 'message'
    | 'patient'
    | 'practitioner'
    | 'template'
    | 'automation'
    | 'appointment'
    | 'attachment',
    string[]
  >;
}

export interface Caller {
  label: string;
  /** The subject the token speaks for, when it is a valid token. */
  sub?: string;
  role?: 'practitioner' | 'patient' | 'assistant';
  /**
   * The role whose user pool issued a token the JWT authorizer lets through (a valid signature,
   * audience and expiry), whatever its claims; default `role`. What reaches the 405/404 fallback.
   */
  authorizerPool?: 'practitioner' | 'patient' | 'assistant';
  /** Authorization header value; undefined: no header at all. */
  authorization: string | undefined;
}

export interface FuzzRequest {
  /** Short description of what was generated, for failure reports and statistics. */
  kind: string;
  method: string;
  /** Raw request target path (already percent-encoded as sent). */
  path: string;
  /** Raw query string without "?" ('' for none). */
  query: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
  caller: Caller;
  /** Path param values by name (decoded), to check who owns what after the fact. */
  params: Record<string, string>;
  /** The path holds malformed percent-encoding: the gateway answers before any function. */
  malformedPath: boolean;
}

const clip = (text: string, max = 200) =>
  text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;

/** One request as a short text, for reports (fast-check prints counterexamples with it). */
export const describeRequest = (req: FuzzRequest): string => {
  const body =
    req.body === undefined
      ? '(none)'
      : typeof req.body === 'string'
        ? JSON.stringify(clip(req.body, 300))
        : `${req.body.length} bytes`;
  const extra = Object.keys(req.headers).filter((h) => h !== 'authorization');
  return `[${req.kind}] ${req.method} ${clip(req.path)}${req.query ? `?${clip(req.query)}` : ''} body ${body} headers ${extra.join(',') || '-'}`;
};

const printable = (req: FuzzRequest): FuzzRequest =>
  Object.defineProperty(req, fc.toStringMethod, { value: () => describeRequest(req), enumerable: false });

/** API Gateway HTTP API quota: request line and header values together (larger ones never reach a function). */
export const GATEWAY_HEADER_LIMIT_BYTES = 10_240;

/** Requests the gateway itself answers: malformed path encoding, or a request line + headers over its quota. */
export const isGatewayLevel = (req: FuzzRequest): boolean => {
  const line = Buffer.byteLength(`${req.method} ${req.path}${req.query ? `?${req.query}` : ''} HTTP/1.1`);
  const headers = Object.entries(req.headers).reduce(
    (n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v),
    0,
  );
  return req.malformedPath || line + headers > GATEWAY_HEADER_LIMIT_BYTES;
};

/** Strings that have broken parsers, encoders and databases before. */
export const EDGE_STRINGS: readonly string[] = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff',
  'x\ud83d',
  '\udc00\ud800',
  '\u202eevil\u202c',
  'שלום עולם',
  'مرحبا',
  '\u200b\u200c\u200d\ufeff',
  '👩‍⚕️🩺💊',
  '🏳️‍🌈'.repeat(50),
  `e${'\u0301'.repeat(500)}`,
  '\uffff\ufffe',
  '\u2028\u2029',
  '\r\n\t\v\f',
  '../../etc/passwd',
  '%00%2e%2e%2f',
  '$' + '{jndi:ldap://x}',
  '{{patient.firstName}}',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  '#',
  'PRAC#x',
  'THREAD#x#MSG',
  '__proto__',
  'constructor',
  'null',
  'true',
  '0',
  '-1',
  '1e309',
  'NaN',
];

const unicodeText = (maxLength: number) =>
  fc.oneof(
    { arbitrary: fc.string({ unit: 'grapheme', maxLength }), weight: 3 },
    { arbitrary: fc.string({ unit: 'binary', maxLength }), weight: 2 },
    { arbitrary: fc.string({ unit: 'binary-ascii', maxLength }), weight: 1 },
    { arbitrary: fc.constantFrom(...EDGE_STRINGS), weight: 2 },
  );

/** 5,001 chars (over the message limit) and ~70 KB (over the 64 KB request limit). */
const hugeText = fc.oneof(
  fc.integer({ min: 5_001, max: 6_000 }).map((n) => 'é'.repeat(n)),
  fc.integer({ min: 66_000, max: 80_000 }).map((n) => 'x'.repeat(n)),
  fc.integer({ min: 129, max: 4_000 }).map((n) => 'a'.repeat(n)),
  fc.constantFrom('🩺'.repeat(2_600), '\u0000'.repeat(6_000)),
);

const ID_PATTERN = '^[A-Za-z0-9_-]{1,128}$';
const randomId = fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/);

const kindOfParam = (name: string): keyof Seeded['ids'] | undefined => {
  const lower = name.toLowerCase();
  for (const kind of [
    'thread',
    'message',
    'patient',
    'practitioner',
    'template',
    'automation',
    'appointment',
    'attachment',
  ] as const) {
    if (lower.startsWith(kind)) return kind;
  }
  return undefined;
};

const seededId = (seeded: Seeded, name: string): fc.Arbitrary<string> => {
  const kind = kindOfParam(name);
  const preferred = kind ? seeded.ids[kind] : [];
  const all = Object.values(seeded.ids).flat();
  if (preferred.length > 0) {
    return fc.oneof(
      { arbitrary: fc.constantFrom(...preferred), weight: 4 },
      { arbitrary: fc.constantFrom(...all), weight: 1 },
    );
  }
  return all.length > 0 ? fc.constantFrom(...all) : randomId;
};

/** encodeURIComponent that survives lone surrogates (encoded as their WTF-8 bytes, which are invalid UTF-8). */
const encodeSegment = (value: string): { text: string; malformed: boolean } => {
  try {
    return { text: encodeURIComponent(value), malformed: false };
  } catch {
    const text = [...value]
      .map((ch) => {
        const code = ch.codePointAt(0) ?? 0;
        if (code >= 0xd800 && code <= 0xdfff) {
          return [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)]
            .map((b) => `%${b.toString(16).toUpperCase()}`)
            .join('');
        }
        return encodeURIComponent(ch);
      })
      .join('');
    return { text, malformed: true };
  }
};

type ParamValue = { raw: string; value: string; malformed: boolean };

const paramValue = (seeded: Seeded, name: string): fc.Arbitrary<ParamValue> => {
  const encoded = (arb: fc.Arbitrary<string>) =>
    arb.map((value): ParamValue => {
      const { text, malformed } = encodeSegment(value);
      return { raw: text, value, malformed };
    });
  return fc.oneof(
    { arbitrary: encoded(seededId(seeded, name)), weight: 8 },
    { arbitrary: encoded(randomId), weight: 3 },
    { arbitrary: encoded(unicodeText(60).filter((s) => s.length > 0)), weight: 2 },
    { arbitrary: encoded(fc.integer({ min: 129, max: 3_000 }).map((n) => 'z'.repeat(n))), weight: 1 },
    {
      // Raw percent-escapes, some of them invalid UTF-8 or malformed.
      arbitrary: fc
        .constantFrom('%', '%zz', '%E0%A4%A', '%C0%AF', '%FF%FE', '%ED%A0%80', '%2F', '%23', '%3F', '%00')
        .map((raw): ParamValue => {
          let value: string;
          try {
            value = decodeURIComponent(raw);
            return { raw, value, malformed: false };
          } catch {
            return { raw, value: raw, malformed: true };
          }
        }),
      weight: 1,
    },
  );
};

/** A value shaped by a JSON Schema (zod's output), biased toward what the handler accepts. */
export const fromSchema = (
  schema: JsonSchema | undefined,
  seeded: Seeded,
  name = '',
  depth = 0,
): fc.Arbitrary<unknown> => {
  if (!schema || depth > 4) return fc.jsonValue({ maxDepth: 2 });
  const anyOf = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (Array.isArray(anyOf) && anyOf.length > 0)
    return fc.oneof(...anyOf.map((s) => fromSchema(s, seeded, name, depth + 1)));
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]));
  if ('const' in schema) return fc.constant(schema.const);
  switch (schema.type) {
    case 'string': {
      if (schema.pattern === ID_PATTERN) return fc.oneof(seededId(seeded, name), randomId);
      if (schema.format === 'email')
        return fc.oneof(fc.emailAddress(), fc.constantFrom('a@b.co', 'not-an-email'));
      if (schema.format === 'date-time') {
        return fc.oneof(
          fc
            .date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true })
            .map((d) => d.toISOString()),
          fc.constantFrom('2024-02-30T25:61:00Z', 'tomorrow'),
        );
      }
      const min = typeof schema.minLength === 'number' ? schema.minLength : 0;
      const max = Math.min(typeof schema.maxLength === 'number' ? schema.maxLength : 200, 200);
      return fc.oneof(
        { arbitrary: fc.string({ minLength: Math.max(min, 1), maxLength: Math.max(max, 1) }), weight: 3 },
        { arbitrary: unicodeText(max), weight: 1 },
        {
          arbitrary: fc.constantFrom('Europe/Paris', 'America/New_York', 'UTC', 'Bonjour docteur'),
          weight: 1,
        },
      );
    }
    case 'integer':
    case 'number': {
      const min = typeof schema.minimum === 'number' ? schema.minimum : -1_000;
      const max = typeof schema.maximum === 'number' ? schema.maximum : 1_000_000;
      return fc.oneof(
        { arbitrary: fc.integer({ min, max }), weight: 4 },
        { arbitrary: fc.constantFrom(-1, 0, 1.5, 2 ** 53, Number.MAX_VALUE), weight: 1 },
      );
    }
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(fromSchema(schema.items as JsonSchema | undefined, seeded, name, depth + 1), {
        maxLength: 6,
      });
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
      const required = new Set((schema.required ?? []) as string[]);
      const model = Object.fromEntries(
        Object.entries(properties).map(([key, sub]) => [key, fromSchema(sub, seeded, key, depth + 1)]),
      );
      return fc.record(model, { requiredKeys: Object.keys(properties).filter((k) => required.has(k)) });
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
};

const wrongValue = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1e308, '', [], {}, [[[]]], { $ne: null }, '\u0000'),
  fc.jsonValue({ maxDepth: 3 }),
  unicodeText(50),
  hugeText,
);

const deepNesting = fc.integer({ min: 50, max: 3_000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`);

const RAW_BODIES = [
  '{',
  '{"body": "unterminated',
  '{"body": "x",}',
  "{'body': 'single quotes'}",
  '[1,2]',
  '[]',
  'null',
  '"a string"',
  '42',
  'true',
  '   ',
  '\ufeff{"body":"bom"}',
  '{"body":"a","body":"b"}',
  '{"__proto__":{"admin":true},"body":"x"}',
  '{"constructor":{"prototype":{"polluted":true}}}',
  '{"body":"\\ud800"}',
  '{"body":"\\u0000"}',
  '{"body": NaN}',
  '{"body": Infinity}',
  '{"body": 1e999}',
  '<xml/>',
  'body=hello&practitionerId=x',
];

/** Near-valid objects from the schema, then mutated one way or another. */
const jsonBody = (schema: JsonSchema, seeded: Seeded): fc.Arbitrary<{ kind: string; text: string }> => {
  const base = fromSchema(schema, seeded).map((v) =>
    v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {},
  );
  const keys = Object.keys((schema.properties ?? {}) as object);
  const keyArb = keys.length > 0 ? fc.constantFrom(...keys) : fc.constant('body');
  const mutated = fc.oneof(
    { arbitrary: base.map((v) => ({ kind: 'body:schema-shaped', value: v as unknown })), weight: 5 },
    {
      arbitrary: fc
        .tuple(base, fc.string({ minLength: 1, maxLength: 20 }), fc.jsonValue({ maxDepth: 1 }))
        .map(([v, k, x]) => ({
          kind: 'body:unknown-field',
          value: { ...v, [keys.includes(k) ? `${k}_x` : k]: x } as unknown,
        })),
      weight: 2,
    },
    {
      arbitrary: fc.tuple(base, keyArb).map(([v, k]) => {
        const { [k]: _dropped, ...rest } = v;
        return { kind: 'body:missing-field', value: rest as unknown };
      }),
      weight: 2,
    },
    {
      arbitrary: fc
        .tuple(base, keyArb, wrongValue)
        .map(([v, k, x]) => ({ kind: 'body:wrong-type', value: { ...v, [k]: x } as unknown })),
      weight: 3,
    },
    {
      arbitrary: fc
        .tuple(base, keyArb, unicodeText(80))
        .map(([v, k, x]) => ({ kind: 'body:unicode', value: { ...v, [k]: x } as unknown })),
      weight: 2,
    },
    {
      arbitrary: fc
        .tuple(base, keyArb, hugeText)
        .map(([v, k, x]) => ({ kind: 'body:huge-string', value: { ...v, [k]: x } as unknown })),
      weight: 1,
    },
    {
      arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => ({ kind: 'body:any-json', value })),
      weight: 1,
    },
  );
  return mutated.map(({ kind, value }) => ({ kind, text: JSON.stringify(value) ?? 'null' }));
};

const rawBody: fc.Arbitrary<{ kind: string; body: string | Uint8Array }> = fc.oneof(
  { arbitrary: fc.constantFrom(...RAW_BODIES).map((body) => ({ kind: 'body:malformed', body })), weight: 4 },
  { arbitrary: deepNesting.map((body) => ({ kind: 'body:deep-nesting', body })), weight: 1 },
  {
    arbitrary: fc.uint8Array({ minLength: 1, maxLength: 300 }).map((body) => ({ kind: 'body:binary', body })),
    weight: 1,
  },
  {
    // Invalid UTF-8 inside an otherwise well-formed JSON object.
    arbitrary: fc
      .constantFrom([0xc3, 0x28], [0xed, 0xa0, 0x80], [0xff], [0xf8, 0x88, 0x80, 0x80, 0x80])
      .map((bytes) => ({
        kind: 'body:invalid-utf8',
        body: new Uint8Array([...Buffer.from('{"body":"'), ...bytes, ...Buffer.from('"}')]),
      })),
    weight: 1,
  },
  {
    arbitrary: fc
      .string({ unit: 'binary', maxLength: 200 })
      .map((body) => ({ kind: 'body:random-text', body })),
    weight: 1,
  },
);

const headerName = fc.stringMatching(/^x-[a-z0-9-]{1,20}$/);
const headerValue = fc.oneof(
  fc.string({ unit: 'binary-ascii', maxLength: 60 }).map((s) => s.replace(/[^\t\x20-\x7e\x80-\xff]/g, '')),
  fc.integer({ min: 1, max: 8_000 }).map((n) => 'h'.repeat(n)),
);

const extraHeaders: fc.Arbitrary<Record<string, string>> = fc
  .record(
    {
      'content-type': fc.constantFrom(
        'application/json',
        'application/json; charset=utf-8',
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=zz',
        'application/xml',
        ';;;',
      ),
      accept: fc.constantFrom('application/json', 'text/html', '*/*', 'application/xml;q=0.9', ''),
      'idempotency-key': fc.oneof(
        fc.uuid(),
        fc.string({ maxLength: 300 }).map((s) => s.replace(/[^\x20-\x7e]/g, '')),
      ),
      'x-forwarded-for': fc.constantFrom('1.2.3.4', 'garbage', '::1, 10.0.0.1', ''),
      'accept-language': fc.constantFrom('fr-FR', 'he-IL,ar;q=0.8', '*'),
      'content-encoding': fc.constantFrom('gzip', 'br', 'identity'),
      'x-amzn-trace-id': fc.constantFrom('Root=1-5759e988-bd862e3fe1be46a994272793', 'garbage'),
    },
    { requiredKeys: [] },
  )
  .chain((known) =>
    fc.dictionary(headerName, headerValue, { maxKeys: 3 }).map((random) => ({ ...random, ...known })),
  );

const queryString = (
  parameters: JsonSchema[],
  seeded: Seeded,
): fc.Arbitrary<{ kind: string; query: string }> => {
  const known = parameters.filter((p) => p.in === 'query');
  const pair = (name: string, value: unknown) =>
    `${encodeSegment(name).text}=${encodeSegment(typeof value === 'string' ? value : (JSON.stringify(value) ?? '')).text}`;
  const schemaValues =
    known.length > 0
      ? fc
          .tuple(
            ...known.map((p) =>
              fc.option(
                fromSchema(p.schema as JsonSchema, seeded, String(p.name)).map((v) =>
                  pair(String(p.name), v),
                ),
                {
                  nil: undefined,
                },
              ),
            ),
          )
          .map((pairs) => ({ kind: 'query:schema-shaped', query: pairs.filter(Boolean).join('&') }))
      : fc.constant({ kind: 'query:none', query: '' });
  const names =
    known.length > 0 ? fc.constantFrom(...known.map((p) => String(p.name))) : fc.constant('limit');
  return fc.oneof(
    { arbitrary: fc.constant({ kind: 'query:none', query: '' }), weight: 3 },
    { arbitrary: schemaValues, weight: 3 },
    {
      arbitrary: fc
        .tuple(names, wrongValue)
        .map(([n, v]) => ({ kind: 'query:wrong-value', query: pair(n, v) })),
      weight: 2,
    },
    {
      arbitrary: fc
        .tuple(fc.string({ minLength: 1, maxLength: 20 }), unicodeText(40))
        .map(([n, v]) => ({ kind: 'query:unknown-key', query: pair(n, v) })),
      weight: 1,
    },
    {
      arbitrary: fc
        .tuple(names, fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 }))
        .map(([n, a, b]) => ({ kind: 'query:duplicate-key', query: `${pair(n, a)}&${pair(n, b)}` })),
      weight: 1,
    },
    {
      arbitrary: fc
        .constantFrom(
          '&&&',
          '=',
          '==x',
          '%',
          '%zz=1',
          'limit',
          'limit=',
          'a[b]=c',
          'cursor=%ED%A0%80',
          '?',
          '#frag',
        )
        .map((query) => ({ kind: 'query:raw', query })),
      weight: 1,
    },
    {
      arbitrary: fc.tuple(names, fc.integer({ min: 2_049, max: 6_000 })).map(([n, len]) => ({
        kind: 'query:huge',
        query: pair(n, 'q'.repeat(len)),
      })),
      weight: 1,
    },
  );
};

/** Every request the fuzz suite may send to one route. */
export const requestFor = (
  route: RouteDefinition,
  operation: JsonSchema,
  seeded: Seeded,
  callers: fc.Arbitrary<Caller>,
): fc.Arbitrary<FuzzRequest> => {
  const paramNames = [...route.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] as string);
  const params =
    paramNames.length > 0
      ? fc.tuple(...paramNames.map((name) => paramValue(seeded, name)))
      : fc.constant([] as ParamValue[]);
  const bodySchema = (operation.requestBody as JsonSchema | undefined)?.content as
    | Record<string, { schema: JsonSchema }>
    | undefined;
  const schema = bodySchema?.['application/json']?.schema;
  const allowsBody = route.method !== 'GET';
  const body: fc.Arbitrary<{ kind: string; body?: string | Uint8Array }> = !allowsBody
    ? fc.constant({ kind: 'body:none' })
    : schema
      ? fc.oneof(
          { arbitrary: jsonBody(schema, seeded).map(({ kind, text }) => ({ kind, body: text })), weight: 6 },
          { arbitrary: rawBody, weight: 2 },
          { arbitrary: fc.constant({ kind: 'body:none' }), weight: 1 },
        )
      : fc.oneof(
          { arbitrary: fc.constant({ kind: 'body:none' }), weight: 3 },
          { arbitrary: rawBody, weight: 1 },
          {
            arbitrary: fc
              .jsonValue({ maxDepth: 2 })
              .map((v) => ({ kind: 'body:unexpected-json', body: JSON.stringify(v) ?? '' })),
            weight: 1,
          },
        );

  return fc
    .record({
      params,
      query: queryString((operation.parameters ?? []) as JsonSchema[], seeded),
      headers: fc.oneof({ arbitrary: fc.constant({}), weight: 2 }, { arbitrary: extraHeaders, weight: 1 }),
      body,
      caller: callers,
    })
    .map(({ params: values, query, headers, body: generated, caller }) => {
      let index = 0;
      const path = route.path.replace(/\{[^}]+\}/g, () => (values[index++] as ParamValue).raw);
      const byName = Object.fromEntries(paramNames.map((name, i) => [name, (values[i] as ParamValue).value]));
      const allHeaders: Record<string, string> = { ...headers };
      if (caller.authorization !== undefined) allHeaders.authorization = caller.authorization;
      if (generated.body !== undefined && !('content-type' in allHeaders))
        allHeaders['content-type'] = 'application/json';
      return printable({
        kind: [
          caller.label,
          values.some((v) => v.malformed) ? 'path:malformed' : 'path:ok',
          query.kind,
          generated.kind,
        ].join(' '),
        method: route.method,
        path,
        query: query.query,
        headers: allHeaders,
        ...(generated.body !== undefined && { body: generated.body }),
        caller,
        params: byName,
        malformedPath: values.some((v) => v.malformed),
      });
    });
};

/** Requests to paths and methods no route serves (401, 405 or a SPEC 404: see expectedStrayStatus in fuzz.test.ts). */
export const strayRequest = (
  routes: readonly RouteDefinition[],
  callers: fc.Arbitrary<Caller>,
): fc.Arbitrary<FuzzRequest> => {
  const methods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
  const known = new Set(routes.map((r) => `${r.method} ${r.path.replace(/\{[^}]+\}/g, '{}')}`));
  const segment = fc.oneof(
    fc.constantFrom('v1', 'practitioner', 'patient', 'threads', 'v2', 'admin', 'x'),
    randomId,
  );
  return fc
    .record({
      method: fc.constantFrom(...methods),
      segments: fc.array(segment, { minLength: 1, maxLength: 6 }),
      template: fc.constantFrom(...routes),
      useTemplate: fc.boolean(),
      caller: callers,
    })
    .map(({ method, segments, template, useTemplate, caller }) => {
      // Either a random path, or a real route's path with a method it does not have.
      const path = useTemplate ? template.path.replace(/\{[^}]+\}/g, 'abc') : `/${segments.join('/')}`;
      const shape = useTemplate ? template.path.replace(/\{[^}]+\}/g, '{}') : path;
      const headers: Record<string, string> = caller.authorization
        ? { authorization: caller.authorization }
        : {};
      return { method, path, shape, headers, caller };
    })
    .filter(({ method, shape }) => !known.has(`${method} ${shape}`))
    .filter(({ method, path }) => !routes.some((r) => r.method === method && matches(r.path, path)))
    .map(({ method, path, headers, caller }) =>
      printable({
        kind: `${caller.label} stray-route`,
        method,
        path,
        query: '',
        headers,
        caller,
        params: {},
        malformedPath: false,
      }),
    );
};

const matches = (template: string, path: string) => {
  const a = template.split('/');
  const b = path.split('/');
  return a.length === b.length && a.every((part, i) => part.startsWith('{') || part === b[i]);
};

import { createHmac, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CURSOR_MAX_LENGTH,
  type CursorScope,
  createCursorCodec,
  cursorSigningKeyFrom,
  decodeCursor,
  encodeCursor,
} from '../../shared/db/cursor.ts';
import { ValidationError } from '../../shared/domain/errors.ts';

const KEY = Buffer.from('unit-test-cursor-signing-key-0123456789', 'utf8');
const codec = createCursorCodec(KEY);

/** The practitioner inbox (gsi1) and the templates of the practitioner partition (table + prefix). */
const inbox: CursorScope = { indexName: 'gsi1', partition: { attribute: 'gsi1pk', value: 'PRAC#d#THREADS' } };
const templates: CursorScope = {
  partition: { attribute: 'pk', value: 'PRAC#d' },
  skPrefix: 'TEMPLATE#',
};
/** The last item of a page, as DynamoDB returns it: every attribute, not only the keys. */
const inboxItem = {
  pk: 'THREAD#01J',
  sk: 'THREAD',
  gsi1pk: 'PRAC#d#THREADS',
  gsi1sk: '2026-05-14T08:00:00.000Z#01J',
  gsi2pk: 'PRAC#d#OPEN',
  status: 'open',
  untreatedCount: 2,
};
const templateItem = { pk: 'PRAC#d', sk: 'TEMPLATE#01K', name: 'Vaccin', body: 'Rappel' };

const inboxCursor = codec.encode(inboxItem, inbox) as string;
const templateCursor = codec.encode(templateItem, templates) as string;

/** Decoding throws the 400 the API answers: VALIDATION_ERROR on `cursor`. */
const expectRefused = (decode: () => unknown) => {
  let thrown: unknown;
  try {
    decode();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ValidationError);
  expect((thrown as ValidationError).details).toEqual([{ path: ['cursor'], message: expect.any(String) }]);
};

describe('signed cursors', () => {
  it('round-trip to exactly the key attributes of the table or index queried', () => {
    expect(codec.decode(inboxCursor, inbox)).toEqual({
      pk: 'THREAD#01J',
      sk: 'THREAD',
      gsi1pk: 'PRAC#d#THREADS',
      gsi1sk: '2026-05-14T08:00:00.000Z#01J',
    });
    expect(codec.decode(templateCursor, templates)).toEqual({ pk: 'PRAC#d', sk: 'TEMPLATE#01K' });
    expect(inboxCursor).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(inboxCursor.length).toBeLessThan(CURSOR_MAX_LENGTH);
  });

  it('no cursor: the first page; none after the last page', () => {
    expect(codec.decode(undefined, inbox)).toBeUndefined();
    expect(codec.encode(undefined, inbox)).toBeNull();
  });

  it('the module codec (CURSOR_SIGNING_KEY) round-trips too', () => {
    const cursor = encodeCursor(templateItem, templates) as string;
    expect(decodeCursor(cursor, templates)).toEqual({ pk: 'PRAC#d', sk: 'TEMPLATE#01K' });
    // Another key: the module codec's cursors are not this one's.
    expectRefused(() => codec.decode(cursor, templates));
  });

  it('is bound to the list it came from: partition, index, sort-key prefix', () => {
    const lists: CursorScope[] = [
      { indexName: 'gsi1', partition: { attribute: 'gsi1pk', value: 'PRAC#other#THREADS' } },
      { indexName: 'gsi3', partition: { attribute: 'gsi3pk', value: 'PRAC#d#THREADS' } },
      { indexName: 'gsi2', partition: { attribute: 'gsi2pk', value: 'PRAC#d#OPEN' } },
      { partition: { attribute: 'pk', value: 'PRAC#d' }, skPrefix: 'AUTOMATION#' },
      { partition: { attribute: 'pk', value: 'PRAC#d' } },
      { partition: { attribute: 'pk', value: 'PRAC#other' }, skPrefix: 'TEMPLATE#' },
      { indexName: 'gsi1', partition: { attribute: 'pk', value: 'PRAC#d' }, skPrefix: 'TEMPLATE#' },
    ];
    for (const other of lists) {
      expectRefused(() => codec.decode(inboxCursor, other));
      expectRefused(() => codec.decode(templateCursor, other));
    }
    expectRefused(() => codec.decode(inboxCursor, templates));
    expectRefused(() => codec.decode(templateCursor, inbox));
  });

  it('refuses a cursor signed with another key', () => {
    const other = createCursorCodec(randomBytes(32));
    expectRefused(() => codec.decode(other.encode(inboxItem, inbox) as string, inbox));
  });

  it('refuses forgeries: the old unsigned format, a payload re-signed without the list, a swapped mac', () => {
    const [payload = '', mac = ''] = inboxCursor.split('.');
    const legacy = Buffer.from(JSON.stringify({ pk: 'x', gsi1pk: 'PRAC#d#THREADS' })).toString('base64url');
    const extraAttribute = Buffer.from(
      JSON.stringify(['THREAD#01J', 'THREAD', 'PRAC#d#THREADS', 'x', 'extra']),
    ).toString('base64url');
    const naiveMac = createHmac('sha256', KEY).update(extraAttribute).digest('base64url');
    for (const forged of [
      legacy,
      `${legacy}.${mac}`,
      `${extraAttribute}.${mac}`,
      `${extraAttribute}.${naiveMac}`,
      `${payload}.${templateCursor.split('.')[1]}`,
      `${payload}.`,
      `.${mac}`,
      payload,
      mac,
      `${payload}.${mac}.${mac}`,
      `${payload}=.${mac}`,
      `${payload}.${mac}=`,
      ` ${inboxCursor}`,
      `${inboxCursor}\n`,
      encodeURIComponent(inboxCursor.replace('.', '+')),
      '',
      'null',
      '%%%not-base64',
      'a'.repeat(CURSOR_MAX_LENGTH + 1),
    ]) {
      expectRefused(() => codec.decode(forged, inbox));
    }
  });

  it('checks the shape of what it signed: the partition, the prefix, string values of bounded length', () => {
    // Signed with the right key for this list, but not a key of it (as if the signer had a bug).
    const wrongPartition = codec.encode({ ...inboxItem, gsi1pk: 'PRAC#other#THREADS' }, inbox) as string;
    expectRefused(() => codec.decode(wrongPartition, inbox));
    const wrongPrefix = codec.encode({ pk: 'PRAC#d', sk: 'AUTOMATION#1' }, templates) as string;
    expectRefused(() => codec.decode(wrongPrefix, templates));
    const empty = codec.encode({ pk: 'PRAC#d', sk: '' }, { partition: { attribute: 'pk', value: 'PRAC#d' } });
    expectRefused(() => codec.decode(empty as string, { partition: { attribute: 'pk', value: 'PRAC#d' } }));
    const long = codec.encode({ pk: 'PRAC#d', sk: `TEMPLATE#${'x'.repeat(1020)}` }, templates);
    expectRefused(() => codec.decode(long as string, templates));
    expect(() => codec.encode({ pk: 'PRAC#d', sk: 7 }, templates)).toThrow(/not a string/);
  });

  it('no random mutation of a valid cursor decodes (property)', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/% ';
    const char = fc.constantFrom(...alphabet.split(''));
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), by: char }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), by: char }),
      fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('swap' as const), at: fc.nat(), to: fc.nat() }),
      fc.record({ kind: fc.constant('append' as const), text: fc.string({ minLength: 1, maxLength: 8 }) }),
    );
    type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;
    const apply = (text: string, m: Mutation): string => {
      const at = 'at' in m ? m.at % (text.length + 1) : 0;
      switch (m.kind) {
        case 'replace':
          return text.slice(0, at) + m.by + text.slice(at + 1);
        case 'insert':
          return text.slice(0, at) + m.by + text.slice(at);
        case 'delete':
          return text.slice(0, at) + text.slice(at + 1);
        case 'truncate':
          return text.slice(0, at);
        case 'swap': {
          const chars = text.split('');
          const to = m.to % chars.length;
          const i = at % chars.length;
          [chars[i], chars[to]] = [chars[to] as string, chars[i] as string];
          return chars.join('');
        }
        case 'append':
          return text + m.text;
      }
    };
    fc.assert(
      fc.property(
        fc.constantFrom([inboxCursor, inbox] as const, [templateCursor, templates] as const),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        ([cursor, scope], mutations) => {
          const mutated = mutations.reduce(apply, cursor);
          fc.pre(mutated !== cursor);
          expectRefused(() => codec.decode(mutated, scope));
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('any string is refused with a ValidationError, never another error (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.base64String({ maxLength: 200 }),
          fc
            .tuple(fc.string({ unit: 'binary', maxLength: 80 }), fc.string({ maxLength: 43 }))
            .map(([json, mac]) => `${Buffer.from(json).toString('base64url')}.${mac}`),
          fc
            .jsonValue()
            .map((v) => `${Buffer.from(JSON.stringify(v)).toString('base64url')}.${'A'.repeat(43)}`),
        ),
        (text) => {
          fc.pre(text !== inboxCursor);
          expectRefused(() => codec.decode(text, inbox));
        },
      ),
      { numRuns: 1_000 },
    );
  });
});

describe('the cursor signing key', () => {
  it('is CURSOR_SIGNING_KEY, at least 32 characters', () => {
    const key = 'k'.repeat(32);
    expect(cursorSigningKeyFrom({ CURSOR_SIGNING_KEY: key })).toEqual(Buffer.from(key));
    expect(() => cursorSigningKeyFrom({ CURSOR_SIGNING_KEY: 'short' })).toThrow(/at least 32 characters/);
  });

  it('is required outside the local stack (a Lambda fails its cold start), random per process inside', () => {
    expect(() => cursorSigningKeyFrom({})).toThrow(
      /Missing required environment variable CURSOR_SIGNING_KEY/,
    );
    expect(() => cursorSigningKeyFrom({ AWS_LAMBDA_FUNCTION_NAME: 'f' })).toThrow(/CURSOR_SIGNING_KEY/);
    const a = cursorSigningKeyFrom({ LOCAL_STACK: '1' });
    const b = cursorSigningKeyFrom({ LOCAL_STACK: '1' });
    expect(a).toHaveLength(32);
    expect(a.equals(b)).toBe(false);
  });

  it('never puts the key in an error message', () => {
    const key = 'secret-but-too-short';
    expect(() => cursorSigningKeyFrom({ CURSOR_SIGNING_KEY: key })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining(key) }),
    );
  });
});

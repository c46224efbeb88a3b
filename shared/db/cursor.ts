import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ENV } from '../config.ts';
import { ValidationError } from '../domain/errors.ts';

/**
 * Opaque, tamper-evident pagination cursors (SPEC 11.1).
 *
 * A cursor is `<payload>.<mac>`: the payload is the DynamoDB LastEvaluatedKey's
 * values (base64url JSON, in the fixed order of the attributes the queried table
 * or index needs), the mac an HMAC-SHA256 over the payload AND the list it was
 * issued for (table or index, partition, sort-key prefix). So a cursor is
 * accepted back only by the very list it came from — not another caller's, not
 * another filter or kind of item in the same partition — and any change to it,
 * a truncation, a re-signing with another key or a forgery is a 400
 * VALIDATION_ERROR on `cursor`, never a call that reaches DynamoDB with a key it
 * would refuse (a 500).
 *
 * The key is CURSOR_SIGNING_KEY (at least 32 characters), read once at module
 * load. Outside AWS (LOCAL_STACK set: the local stack, scripts) a missing key is
 * replaced by a random one per process, so cursors do not survive a restart; in
 * a Lambda a missing key fails the cold start.
 */

/** The list a cursor belongs to: one Query of one partition of the table or of an index. */
export interface CursorScope {
  /** The index queried; absent for the table. */
  indexName?: string;
  /** The partition key attribute and value of the table or index queried. */
  partition: { attribute: string; value: string };
  /** Only sort keys starting with this (on the table's `sk`). */
  skPrefix?: string;
}

export const CURSOR_KEY_MIN_LENGTH = 32;
/** The longest cursor a client may send back (shared/http/schemas.ts cursorSchema has the same bound). */
export const CURSOR_MAX_LENGTH = 2048;
/** DynamoDB's limit for a sort key; partition keys here are far shorter. */
const KEY_VALUE_MAX_LENGTH = 1024;
const MAC_LENGTH = 43; // 32 bytes in unpadded base64url
const CURSOR_SHAPE = new RegExp(`^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]{${MAC_LENGTH}}$`);
const DOMAIN = 'patient-messaging/cursor/v1';

/**
 * The signing key from an environment: CURSOR_SIGNING_KEY, else (LOCAL_STACK set)
 * a random per-process key; else an error, so a Lambda without the key fails at
 * cold start rather than answering cursors nobody can verify after the next one.
 */
export const cursorSigningKeyFrom = (env: Readonly<Record<string, string | undefined>>): Buffer => {
  const configured = env[ENV.cursorSigningKey];
  if (configured) {
    if (configured.length < CURSOR_KEY_MIN_LENGTH) {
      throw new Error(`${ENV.cursorSigningKey} must be at least ${CURSOR_KEY_MIN_LENGTH} characters`);
    }
    return Buffer.from(configured, 'utf8');
  }
  if (env[ENV.localStack]) return randomBytes(32);
  throw new Error(
    `Missing required environment variable ${ENV.cursorSigningKey} ` +
      `(outside AWS, set ${ENV.localStack}=1 to sign cursors with a random per-process key)`,
  );
};

/** The key attributes a LastEvaluatedKey holds for a Query on this table or index, in a fixed order. */
const keyAttributes = (scope: CursorScope): string[] =>
  scope.indexName ? ['pk', 'sk', `${scope.indexName}pk`, `${scope.indexName}sk`] : ['pk', 'sk'];

const invalidCursor = () =>
  new ValidationError('Invalid cursor', [{ path: ['cursor'], message: 'Not a cursor of this list' }]);

export interface CursorCodec {
  /** The cursor of the next page after `lastKey` in that list; null on the last page. */
  encode(lastKey: Record<string, unknown> | undefined, scope: CursorScope): string | null;
  /** The ExclusiveStartKey a cursor stands for, or a ValidationError; undefined without a cursor. */
  decode(cursor: string | undefined, scope: CursorScope): Record<string, string> | undefined;
}

export const createCursorCodec = (key: Buffer): CursorCodec => {
  const mac = (scope: CursorScope, payload: string) =>
    createHmac('sha256', key)
      .update(
        JSON.stringify([
          DOMAIN,
          scope.indexName ?? '',
          scope.partition.attribute,
          scope.partition.value,
          scope.skPrefix ?? '',
          payload,
        ]),
      )
      .digest('base64url');

  return {
    encode(lastKey, scope) {
      if (!lastKey) return null;
      const values = keyAttributes(scope).map((attribute) => {
        const value = lastKey[attribute];
        if (typeof value !== 'string') throw new Error(`Cursor key attribute ${attribute} is not a string`);
        return value;
      });
      const payload = Buffer.from(JSON.stringify(values), 'utf8').toString('base64url');
      return `${payload}.${mac(scope, payload)}`;
    },

    decode(cursor, scope) {
      if (cursor === undefined) return undefined;
      if (typeof cursor !== 'string' || cursor.length > CURSOR_MAX_LENGTH || !CURSOR_SHAPE.test(cursor)) {
        throw invalidCursor();
      }
      const [payload = '', given = ''] = cursor.split('.');
      // Compared as text, not as decoded bytes: base64url has several spellings of the same bytes.
      const expected = Buffer.from(mac(scope, payload), 'utf8');
      const actual = Buffer.from(given, 'utf8');
      if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) throw invalidCursor();

      // Signed by us for this list; the shape is still checked before anything reaches DynamoDB.
      let values: unknown;
      try {
        values = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
      } catch {
        throw invalidCursor();
      }
      const attributes = keyAttributes(scope);
      if (
        !Array.isArray(values) ||
        values.length !== attributes.length ||
        !values.every((v) => typeof v === 'string' && v.length > 0 && v.length <= KEY_VALUE_MAX_LENGTH)
      ) {
        throw invalidCursor();
      }
      const startKey = Object.fromEntries(attributes.map((attribute, i) => [attribute, values[i] as string]));
      if (startKey[scope.partition.attribute] !== scope.partition.value) throw invalidCursor();
      if (scope.skPrefix && !startKey.sk?.startsWith(scope.skPrefix)) throw invalidCursor();
      return startKey;
    },
  };
};

// Read once per process (a Lambda container): fails the cold start when the key is missing in AWS.
const codec = createCursorCodec(cursorSigningKeyFrom(process.env));

export const encodeCursor = codec.encode;
export const decodeCursor = codec.decode;

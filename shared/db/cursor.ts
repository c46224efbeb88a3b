import { ValidationError } from '../domain/errors.ts';

/**
 * Opaque pagination cursors: the DynamoDB LastEvaluatedKey, base64url-encoded.
 * A cursor is only accepted back on the index partition it came from, so a caller
 * cannot page through someone else's inbox by forging one.
 */
export const encodeCursor = (lastKey: Record<string, unknown> | undefined): string | null =>
  lastKey ? Buffer.from(JSON.stringify(lastKey)).toString('base64url') : null;

export const decodeCursor = (
  cursor: string | undefined,
  expected: { attribute: string; value: string },
): Record<string, string> | undefined => {
  if (!cursor) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      parsed &&
      typeof parsed === 'object' &&
      !Array.isArray(parsed) &&
      Object.values(parsed).every((v) => typeof v === 'string') &&
      (parsed as Record<string, string>)[expected.attribute] === expected.value
    ) {
      return parsed as Record<string, string>;
    }
  } catch {
    // fall through to the validation error
  }
  throw new ValidationError('Invalid cursor', [{ path: ['cursor'], message: 'Not a cursor of this list' }]);
};

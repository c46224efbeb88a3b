/**
 * DynamoDB's item size and capacity units, by the pricing rules (DynamoDB Local's
 * ConsumedCapacity is not the service's): an attribute costs its name's UTF-8
 * bytes plus its value's; strings their UTF-8 bytes, numbers about one byte per
 * two significant digits plus one, lists and maps 3 bytes plus 1 per element,
 * null and booleans 1. Used by the benchmarks that price writes (bench:fanout,
 * bench:heat) on document-client values (plain JS, as unmarshalled).
 */
export const WRITE_UNIT_BYTES = 1024;
export const READ_UNIT_BYTES = 4096;

export const valueSize = (value: unknown): number => {
  if (value === null || value === undefined || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number' || typeof value === 'bigint') {
    const digits = String(value).replace(/^-/, '').replace('.', '').replace(/^0+/, '');
    return Math.ceil(Math.max(1, digits.length) / 2) + 1;
  }
  if (value instanceof Uint8Array) return value.byteLength;
  // String, number and binary sets: their elements, no per-element overhead.
  if (value instanceof Set) return [...value].reduce((n: number, v) => n + valueSize(v), 0);
  if (Array.isArray(value)) return 3 + value.reduce((n: number, v) => n + 1 + valueSize(v), 0);
  if (typeof value === 'object' && typeof (value as { value?: unknown }).value === 'string') {
    // A NumberValue (unmarshalled with wrapNumbers): its digits.
    return valueSize(Number((value as { value: string }).value));
  }
  return (
    3 +
    Object.entries(value as Record<string, unknown>).reduce(
      (n, [k, v]) => n + 1 + Buffer.byteLength(k) + valueSize(v),
      0,
    )
  );
};

export const itemSize = (item: Record<string, unknown>): number =>
  Object.entries(item).reduce(
    (n, [k, v]) => (v === undefined ? n : n + Buffer.byteLength(k) + valueSize(v)),
    0,
  );

/** Write units of one standard write of `bytes` (at least 1). */
export const writeUnits = (bytes: number): number => Math.max(1, Math.ceil(bytes / WRITE_UNIT_BYTES));

/** Read units of one strongly consistent read of `bytes` (at least 1); halve for eventually consistent. */
export const readUnits = (bytes: number): number => Math.max(1, Math.ceil(bytes / READ_UNIT_BYTES));

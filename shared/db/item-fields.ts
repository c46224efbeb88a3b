/**
 * An item read back as its domain record: exactly the declared fields, `null` where the item has none
 * (an attribute never written, or removed), nothing else of the item (keys, index attributes).
 */
export const fieldsOrNull = <T>(item: Record<string, unknown>, fields: readonly (keyof T & string)[]): T =>
  Object.fromEntries(fields.map((field) => [field, item[field] ?? null])) as T;

/**
 * EventBridge event pattern matching for the local bus (the subset this project
 * may use): every pattern field is an array of allowed values or a nested object;
 * a value matches when equal to one of them (for an array field: when any element
 * does). Content filters supported: {prefix}, {exists}, {anything-but}; any other
 * ({numeric}, {wildcard}, ...) throws at startup rather than silently never matching.
 */

export type EventPatternNode = { [field: string]: EventPatternNode | readonly unknown[] };

type Filter = { prefix: string } | { exists: boolean } | { 'anything-but': unknown };

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const FILTER_KEYS = new Set(['prefix', 'exists', 'anything-but']);

/** Throws on anything the local matcher does not implement. */
export const validatePattern = (pattern: unknown, path = ''): void => {
  if (!isPlainObject(pattern)) throw new Error(`Event pattern${path ? ` at ${path}` : ''} must be an object`);
  for (const [field, value] of Object.entries(pattern)) {
    const here = path ? `${path}.${field}` : field;
    if (Array.isArray(value)) {
      if (value.length === 0)
        throw new Error(`Event pattern field ${here} has an empty array (never matches)`);
      for (const item of value) {
        if (isPlainObject(item)) {
          const keys = Object.keys(item);
          if (keys.length !== 1 || !FILTER_KEYS.has(keys[0] ?? '')) {
            throw new Error(`Unsupported content filter ${JSON.stringify(item)} at ${here} (local bus)`);
          }
        }
      }
    } else if (isPlainObject(value)) {
      validatePattern(value, here);
    } else {
      throw new Error(`Event pattern field ${here} must be an array or an object`);
    }
  }
};

const matchesFilter = (filter: Filter, present: boolean, value: unknown): boolean => {
  if ('exists' in filter) return filter.exists === present;
  if (!present) return false;
  if ('prefix' in filter) return typeof value === 'string' && value.startsWith(filter.prefix);
  const excluded = filter['anything-but'];
  const list = Array.isArray(excluded) ? excluded : [excluded];
  return !list.some((x) => x === value);
};

const matchesValue = (allowed: readonly unknown[], present: boolean, value: unknown): boolean => {
  const values = Array.isArray(value) ? value : [value];
  return allowed.some((rule) => {
    if (isPlainObject(rule)) {
      if ('exists' in rule) return matchesFilter(rule as Filter, present, value);
      return present && values.some((v) => matchesFilter(rule as Filter, true, v));
    }
    return present && values.some((v) => v === rule);
  });
};

/** Does `event` (an EventBridge envelope: source, detail-type, detail, ...) match `pattern`? */
export const matchesPattern = (pattern: EventPatternNode, event: unknown): boolean => {
  const target = isPlainObject(event) ? event : {};
  return Object.entries(pattern).every(([field, rule]) => {
    const present = Object.hasOwn(target, field) && target[field] !== undefined;
    const value = target[field];
    if (Array.isArray(rule)) return matchesValue(rule, present, value);
    return present && isPlainObject(value) && matchesPattern(rule as EventPatternNode, value);
  });
};

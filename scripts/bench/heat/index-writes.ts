/**
 * What one change of a table item costs its indexes, from the item's images
 * before and after (DynamoDB's rules for global secondary indexes):
 *
 *   not in the index before nor after           nothing
 *   enters the index (keys now all present)     one put of the new entry
 *   leaves the index (a key attribute removed)  one delete of the old entry
 *   index key changed (partition or sort)       a delete of the old entry AND a put of the new one
 *   same index key, a projected attribute changed   one put (rewrite) of the entry
 *   same index key, nothing projected changed   nothing
 *
 * What "projected" means comes from the index's projection: ALL = every
 * attribute; KEYS_ONLY = the table's and the index's keys only; INCLUDE = those
 * plus the listed attributes. An index write costs one write unit per KB of the
 * projected entry (the entry's keys and projected attributes), never doubled for
 * a transaction (only the table's item is written twice).
 */
import type { IndexDefinition } from '../../../shared/db/table-definition.ts';
import { itemSize, writeUnits } from '../item-size.ts';

export type Item = Record<string, unknown>;

export interface IndexWrite {
  index: string;
  /** The index partition written: the value of the index's partition key attribute. */
  partition: string;
  kind: 'put' | 'update' | 'delete';
  /** Size of the projected entry written (or deleted). */
  bytes: number;
  units: number;
}

const TABLE_KEYS = ['pk', 'sk'] as const;

const inIndex = (index: IndexDefinition, item: Item | undefined): item is Item =>
  item !== undefined && item[index.partitionKey] !== undefined && item[index.sortKey] !== undefined;

/** The attribute names an index entry carries, or 'all'. */
const projectedNames = (index: IndexDefinition): 'all' | Set<string> => {
  const { projection } = index;
  if (projection.type === 'ALL') return 'all';
  const names = new Set<string>([...TABLE_KEYS, index.partitionKey, index.sortKey]);
  if (projection.type === 'INCLUDE') for (const name of projection.attributes) names.add(name);
  return names;
};

/** The index entry of an item: what the index stores of it. */
export const projectedEntry = (index: IndexDefinition, item: Item): Item => {
  const names = projectedNames(index);
  if (names === 'all') return item;
  return Object.fromEntries(Object.entries(item).filter(([name]) => names.has(name)));
};

/** Structural equality of two document-client values (strings, numbers, lists, maps, sets). */
export const sameValue = (a: unknown, b: unknown): boolean => {
  if (a === b) return true;
  if (a instanceof Set && b instanceof Set) return a.size === b.size && [...a].every((v) => b.has(v));
  if (a instanceof Uint8Array && b instanceof Uint8Array)
    return a.byteLength === b.byteLength && a.every((v, i) => v === b[i]);
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((v, i) => sameValue(v, b[i]));
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const ka = Object.keys(a as Item).filter((k) => (a as Item)[k] !== undefined);
    const kb = Object.keys(b as Item).filter((k) => (b as Item)[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => sameValue((a as Item)[k], (b as Item)[k]));
  }
  return false;
};

const entryOf = (index: IndexDefinition, kind: IndexWrite['kind'], item: Item): IndexWrite => {
  const bytes = itemSize(projectedEntry(index, item));
  return {
    index: index.name,
    partition: String(item[index.partitionKey]),
    kind,
    bytes,
    units: writeUnits(bytes),
  };
};

/** The index writes one table change causes, on every index; `before`/`after` undefined = no item. */
export const indexWritesOf = (
  indexes: readonly IndexDefinition[],
  before: Item | undefined,
  after: Item | undefined,
): IndexWrite[] => {
  const writes: IndexWrite[] = [];
  for (const index of indexes) {
    const was = inIndex(index, before);
    const is = inIndex(index, after);
    if (!was && !is) continue;
    if (!was) {
      writes.push(entryOf(index, 'put', after as Item));
      continue;
    }
    if (!is) {
      writes.push(entryOf(index, 'delete', before as Item));
      continue;
    }
    const old = before as Item;
    const now = after as Item;
    const keyMoved =
      !sameValue(old[index.partitionKey], now[index.partitionKey]) ||
      !sameValue(old[index.sortKey], now[index.sortKey]);
    if (keyMoved) {
      writes.push(entryOf(index, 'delete', old), entryOf(index, 'put', now));
      continue;
    }
    const oldEntry = projectedEntry(index, old);
    const newEntry = projectedEntry(index, now);
    if (sameValue(oldEntry, newEntry)) continue;
    const update = entryOf(index, 'update', now);
    // An update is priced on the larger of the entry before and after.
    const bytes = Math.max(update.bytes, itemSize(oldEntry));
    writes.push({ ...update, bytes, units: writeUnits(bytes) });
  }
  return writes;
};

/**
 * Write units of the table write itself: the larger of the item before and after
 * (a delete: the item deleted), twice for a transactional write.
 */
export const tableWriteUnits = (
  before: Item | undefined,
  after: Item | undefined,
  transactional: boolean,
): { bytes: number; units: number } => {
  const bytes = Math.max(before ? itemSize(before) : 0, after ? itemSize(after) : 0);
  return { bytes, units: writeUnits(bytes) * (transactional ? 2 : 1) };
};

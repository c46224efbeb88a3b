/**
 * Write and read units per partition key, on the table and on each index, from
 * two sources that together see every write:
 *
 * - the table's stream (NEW_AND_OLD_IMAGES on the bench's table): every change
 *   with the item before and after, so the table write is priced on the larger
 *   image and each index's writes are derived from the images (index-writes.ts);
 * - the SDK calls of the whole process (every document client, the functions'
 *   included): which writes were transactional (the table write costs twice),
 *   which function made them, and the writes a stream never shows — a condition
 *   that failed (charged on the item's size, at least 1 unit), a ConditionCheck
 *   (a transactional write of 2 units per KB of the item checked), an update that
 *   changed nothing. Reads are priced from the calls alone.
 *
 * A stream record is matched to the oldest unmatched successful write of its
 * item (they come in the same order); a record that arrives before its call is
 * seen waits as an orphan for it.
 */
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { IndexDefinition } from '../../../shared/db/table-definition.ts';
import type { ObservedCall } from '../dynamodb-meter.ts';
import { itemSize, readUnits, writeUnits } from '../item-size.ts';
import { type Item, indexWritesOf, tableWriteUnits } from './index-writes.ts';

export const TABLE = 'table';
/** The writer of a change whose call was not seen (yet). */
export const UNKNOWN = '?';

export interface PartitionHeat {
  /** 'table' or an index name. */
  where: string;
  partition: string;
  writes: number;
  writeUnits: number;
  reads: number;
  readUnits: number;
  /** Write units by the function that caused them ('bench' = the driver itself, '?' = unknown). */
  writers: Map<string, number>;
}

interface PendingWrite {
  transactional: boolean;
  writer: string;
}

type Json = Record<string, unknown>;

interface Orphan {
  tableUnits: number;
  charges: Array<{ where: string; partition: string; units: number }>;
}

const itemKey = (key: Json | undefined) => `${String(key?.pk)}|${String(key?.sk)}`;
const pkOf = (key: string) => key.slice(0, key.indexOf('|'));

/** A stream record as Lambda and the local poller shape it (AttributeValue images). */
export interface StreamChange {
  eventName?: string;
  dynamodb: { Keys?: unknown; NewImage?: unknown; OldImage?: unknown };
}

const toItem = (image: unknown): Item | undefined =>
  image ? (unmarshall(image as Parameters<typeof unmarshall>[0]) as Item) : undefined;

/** The attribute a Query's key condition fixes (`<name> = :value`), resolved through the names. */
export const partitionValueOf = (input: Json, attribute: string): string | undefined => {
  const expression = String(input.KeyConditionExpression ?? '');
  const names = (input.ExpressionAttributeNames ?? {}) as Record<string, string>;
  const values = (input.ExpressionAttributeValues ?? {}) as Record<string, unknown>;
  for (const match of expression.matchAll(/([#\w]+)\s*=\s*(:\w+)/g)) {
    const name = match[1]?.startsWith('#') ? names[match[1]] : match[1];
    if (name === attribute) return String(values[match[2] as string]);
  }
  return undefined;
};

export class HeatLedger {
  readonly partitions = new Map<string, PartitionHeat>();
  /** Successful writes seen in the SDK calls, waiting for their stream record, by item key. */
  private readonly pending = new Map<string, PendingWrite[]>();
  /**
   * Stream records that came before their call: charged once to an unknown writer; when the call
   * is seen its writer takes the charges over, and a transaction pays its second table charge.
   */
  private readonly orphans = new Map<string, Orphan[]>();
  /** Last known size of each item (reads and unseen writes are priced on it). */
  private readonly sizes = new Map<string, number>();
  /** Counts for the report: what was matched how. */
  readonly stats = {
    streamRecords: 0,
    orphanRecords: 0,
    unseenWrites: 0,
    failedWrites: 0,
    conditionChecks: 0,
  };
  /** While false, changes only update sizes (seeding, warm-up). */
  charging = true;

  constructor(
    private readonly indexes: readonly IndexDefinition[],
    private readonly primaryKey = 'pk',
  ) {}

  private at(where: string, partition: string): PartitionHeat {
    const id = `${where}|${partition}`;
    let heat = this.partitions.get(id);
    if (!heat) {
      heat = { where, partition, writes: 0, writeUnits: 0, reads: 0, readUnits: 0, writers: new Map() };
      this.partitions.set(id, heat);
    }
    return heat;
  }

  private chargeWrite(where: string, partition: string, units: number, writer: string) {
    if (!this.charging) return;
    const heat = this.at(where, partition);
    heat.writes += 1;
    heat.writeUnits += units;
    heat.writers.set(writer, (heat.writers.get(writer) ?? 0) + units);
  }

  private reattribute(where: string, partition: string, units: number, from: string, to: string) {
    const heat = this.partitions.get(`${where}|${partition}`);
    if (!heat) return;
    const left = (heat.writers.get(from) ?? 0) - units;
    if (left > 0) heat.writers.set(from, left);
    else heat.writers.delete(from);
    heat.writers.set(to, (heat.writers.get(to) ?? 0) + units);
  }

  private chargeRead(where: string, partition: string, units: number, items: number) {
    if (!this.charging) return;
    const heat = this.at(where, partition);
    heat.reads += items;
    heat.readUnits += units;
  }

  private unitsOf(key: string) {
    return writeUnits(this.sizes.get(key) ?? 0);
  }

  /** One SDK round-trip of any client in the process; `writer` = the function that made it. */
  recordCall(call: ObservedCall, writer: string): void {
    if (!this.charging) return;
    const { operation, input, output } = call;
    const ok = call.error === undefined;
    switch (operation) {
      case 'PutItem':
      case 'UpdateItem':
      case 'DeleteItem': {
        const key = itemKey((input.Item ?? input.Key) as Json);
        if (ok) this.expect(key, { transactional: false, writer });
        else {
          // A failed condition still costs the write, on the item's size.
          this.stats.failedWrites += 1;
          this.chargeWrite(TABLE, pkOf(key), this.unitsOf(key), writer);
        }
        return;
      }
      case 'BatchWriteItem': {
        const requests = Object.values((input.RequestItems ?? {}) as Record<string, Json[]>).flat();
        for (const request of requests) {
          const put = request.PutRequest as Json | undefined;
          const del = request.DeleteRequest as Json | undefined;
          const key = itemKey((put?.Item ?? del?.Key) as Json);
          if (ok) this.expect(key, { transactional: false, writer });
        }
        return;
      }
      case 'TransactWriteItems': {
        for (const part of (input.TransactItems ?? []) as Json[]) {
          const [kind, body] = Object.entries(part)[0] as [string, Json];
          const key = itemKey((body.Item ?? body.Key) as Json);
          if (kind === 'ConditionCheck' || !ok) {
            // A ConditionCheck is billed as a transactional write of the item checked; a cancelled
            // transaction charges each part once (its prepare phase).
            if (kind === 'ConditionCheck') this.stats.conditionChecks += 1;
            else this.stats.failedWrites += 1;
            this.chargeWrite(TABLE, pkOf(key), this.unitsOf(key) * (ok ? 2 : 1), writer);
            continue;
          }
          this.expect(key, { transactional: true, writer });
        }
        return;
      }
      case 'GetItem': {
        if (!ok) return;
        const key = itemKey(input.Key as Json);
        const item = output?.Item as Item | undefined;
        const bytes = item ? itemSize(item) : 0;
        this.chargeRead(TABLE, pkOf(key), readUnits(bytes) * (input.ConsistentRead ? 1 : 0.5), item ? 1 : 0);
        return;
      }
      case 'BatchGetItem':
      case 'TransactGetItems': {
        if (!ok) return;
        const factor = operation === 'TransactGetItems' ? 2 : undefined;
        const requested =
          operation === 'TransactGetItems'
            ? ((input.TransactItems ?? []) as Json[]).map((t) => ({
                key: itemKey((t.Get as Json).Key as Json),
                consistent: true,
              }))
            : Object.values((input.RequestItems ?? {}) as Record<string, Json>).flatMap((r) =>
                ((r.Keys ?? []) as Json[]).map((k) => ({
                  key: itemKey(k),
                  consistent: Boolean(r.ConsistentRead),
                })),
              );
        const returned = new Map<string, Item>();
        const items =
          operation === 'TransactGetItems'
            ? ((output?.Responses ?? []) as Json[]).map((r) => r.Item as Item | undefined)
            : Object.values((output?.Responses ?? {}) as Record<string, Item[]>).flat();
        for (const item of items) if (item) returned.set(itemKey(item), item);
        for (const { key, consistent } of requested) {
          const item = returned.get(key);
          const bytes = item ? itemSize(item) : 0;
          this.chargeRead(
            TABLE,
            pkOf(key),
            readUnits(bytes) * (factor ?? (consistent ? 1 : 0.5)),
            item ? 1 : 0,
          );
        }
        return;
      }
      case 'Query': {
        if (!ok) return;
        const indexName = input.IndexName as string | undefined;
        const index = this.indexes.find((i) => i.name === indexName);
        const attribute = index ? index.partitionKey : this.primaryKey;
        const partition = partitionValueOf(input, attribute) ?? '?';
        const items = (output?.Items ?? []) as Item[];
        // A Query is priced on the items it reads, whole (before any projection): their last known
        // size when they carry the table keys, else what came back; a COUNT returns no item at all.
        const bytes = items.reduce((n, item) => n + (this.sizes.get(itemKey(item)) ?? itemSize(item)), 0);
        const scanned = Number(output?.ScannedCount ?? items.length);
        const counted = items.length === 0 && scanned > 0 ? scanned * 200 : 0;
        const consistent = !index && Boolean(input.ConsistentRead);
        this.chargeRead(
          indexName ?? TABLE,
          partition,
          readUnits(bytes + counted) * (consistent ? 1 : 0.5),
          scanned,
        );
        return;
      }
      default:
        return;
    }
  }

  private expect(key: string, write: PendingWrite) {
    const orphan = this.orphans.get(key);
    if (orphan && orphan.length > 0) {
      // Its stream record came first and was charged once: a transaction pays the second half now.
      const { tableUnits, charges } = orphan.shift() as Orphan;
      for (const c of charges) this.reattribute(c.where, c.partition, c.units, UNKNOWN, write.writer);
      if (write.transactional) this.chargeWrite(TABLE, pkOf(key), tableUnits, write.writer);
      return;
    }
    const list = this.pending.get(key);
    if (list) list.push(write);
    else this.pending.set(key, [write]);
  }

  /** One stream record of the table. */
  recordChange(change: StreamChange): void {
    const before = toItem(change.dynamodb.OldImage);
    const after = toItem(change.dynamodb.NewImage);
    const keys = toItem(change.dynamodb.Keys) ?? after ?? before ?? {};
    const key = itemKey(keys);
    if (after) this.sizes.set(key, itemSize(after));
    else this.sizes.delete(key);
    if (!this.charging) {
      this.pending.delete(key);
      return;
    }
    this.stats.streamRecords += 1;
    const list = this.pending.get(key);
    const write = list?.shift();
    if (list && list.length === 0) this.pending.delete(key);
    const { units } = tableWriteUnits(before, after, write?.transactional ?? false);
    const writer = write?.writer ?? UNKNOWN;
    const charges = [
      { where: TABLE, partition: pkOf(key), units },
      ...indexWritesOf(this.indexes, before, after).map((w) => ({
        where: w.index,
        partition: w.partition,
        units: w.units,
      })),
    ];
    for (const c of charges) this.chargeWrite(c.where, c.partition, c.units, writer);
    if (!write) {
      this.stats.orphanRecords += 1;
      const orphan: Orphan = { tableUnits: units, charges };
      const list = this.orphans.get(key);
      if (list) list.push(orphan);
      else this.orphans.set(key, [orphan]);
    }
  }

  /**
   * Once the stream is read to the end: the successful writes no record matched changed
   * nothing (DynamoDB writes no stream record then) but were still paid, on the item's size.
   */
  settle(): void {
    for (const [key, writes] of this.pending) {
      for (const write of writes) {
        this.stats.unseenWrites += 1;
        this.chargeWrite(TABLE, pkOf(key), this.unitsOf(key) * (write.transactional ? 2 : 1), write.writer);
      }
    }
    this.pending.clear();
    this.orphans.clear();
  }

  /** Forget the counts (not the item sizes): the next phase starts from zero. */
  reset(): void {
    this.settle();
    this.partitions.clear();
    for (const name of Object.keys(this.stats)) this.stats[name as keyof typeof this.stats] = 0;
  }
}

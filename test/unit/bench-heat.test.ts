/**
 * The pricing and classification rules of `npm run bench:heat` (scripts/bench/heat):
 * index writes derived from an item's images for each projection type, the table
 * write's units, item sizes, key classes, the scale factors, and the ledger that
 * joins the SDK calls to the stream records.
 */
import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { indexWritesOf, tableWriteUnits } from '../../scripts/bench/heat/index-writes.ts';
import { classifyKey } from '../../scripts/bench/heat/key-classes.ts';
import { HeatLedger, partitionValueOf, TABLE } from '../../scripts/bench/heat/ledger.ts';
import {
  busyPractitionerPeakRate,
  DEFAULT_ASSUMPTIONS,
  heatRows,
  partitionsNeeded,
  peakRate,
  scaleFactor,
} from '../../scripts/bench/heat/model.ts';
import { itemSize, readUnits, writeUnits } from '../../scripts/bench/item-size.ts';
import type { IndexDefinition } from '../../shared/db/table-definition.ts';

const index = (projection: IndexDefinition['projection']): IndexDefinition => ({
  name: 'gsi5',
  partitionKey: 'gsi5pk',
  sortKey: 'gsi5sk',
  projection,
  purpose: 'test',
});
const ALL = index({ type: 'ALL' });
const KEYS_ONLY = index({ type: 'KEYS_ONLY' });
const INCLUDE = index({ type: 'INCLUDE', attributes: ['untreatedMessages'] });

const counters = (extra: Record<string, unknown> = {}) => ({
  pk: 'PRAC#dr-1',
  sk: 'COUNTERS',
  gsi5pk: 'DIGEST_DUE',
  gsi5sk: '2026-05-14T08:00:00.000Z#dr-1',
  untreatedMessages: 5,
  unreadThreads: 2,
  ...extra,
});
const kinds = (writes: ReturnType<typeof indexWritesOf>) => writes.map((w) => `${w.kind} ${w.partition}`);

describe('index writes from the images before and after', () => {
  it('an item entering, leaving or never in the index: one put, one delete, nothing', () => {
    const outside = { pk: 'PRAC#dr-1', sk: 'COUNTERS', untreatedMessages: 1 };
    for (const definition of [ALL, KEYS_ONLY, INCLUDE]) {
      expect(kinds(indexWritesOf([definition], undefined, counters()))).toEqual(['put DIGEST_DUE']);
      expect(kinds(indexWritesOf([definition], outside, counters()))).toEqual(['put DIGEST_DUE']);
      expect(kinds(indexWritesOf([definition], counters(), outside))).toEqual(['delete DIGEST_DUE']);
      expect(kinds(indexWritesOf([definition], counters(), undefined))).toEqual(['delete DIGEST_DUE']);
      expect(indexWritesOf([definition], outside, { ...outside, untreatedMessages: 2 })).toEqual([]);
      // Only one of the two key attributes: not in the index.
      expect(indexWritesOf([definition], undefined, { ...outside, gsi5pk: 'DIGEST_DUE' })).toEqual([]);
    }
  });

  it('a moved key is a delete from the old partition and a put in the new one, whatever the projection', () => {
    for (const definition of [ALL, KEYS_ONLY, INCLUDE]) {
      expect(kinds(indexWritesOf([definition], counters(), counters({ gsi5pk: 'DIGEST_DUE#3' })))).toEqual([
        'delete DIGEST_DUE',
        'put DIGEST_DUE#3',
      ]);
      // The sort key alone moving is a move too.
      expect(kinds(indexWritesOf([definition], counters(), counters({ gsi5sk: 'later#dr-1' })))).toEqual([
        'delete DIGEST_DUE',
        'put DIGEST_DUE',
      ]);
    }
  });

  it('same keys: ALL rewrites on any change, INCLUDE on a listed attribute only, KEYS_ONLY never', () => {
    const unread = counters({ unreadThreads: 3 });
    const untreated = counters({ untreatedMessages: 6 });
    expect(kinds(indexWritesOf([ALL], counters(), unread))).toEqual(['update DIGEST_DUE']);
    expect(kinds(indexWritesOf([ALL], counters(), untreated))).toEqual(['update DIGEST_DUE']);
    expect(indexWritesOf([INCLUDE], counters(), unread)).toEqual([]);
    expect(kinds(indexWritesOf([INCLUDE], counters(), untreated))).toEqual(['update DIGEST_DUE']);
    expect(indexWritesOf([KEYS_ONLY], counters(), unread)).toEqual([]);
    expect(indexWritesOf([KEYS_ONLY], counters(), untreated)).toEqual([]);
    // Nothing changed at all: nothing to write, even for ALL.
    expect(indexWritesOf([ALL], counters(), counters())).toEqual([]);
    // Nested values are compared by content.
    const withMap = counters({ marks: { a: [1, 2] } });
    expect(indexWritesOf([ALL], withMap, counters({ marks: { a: [1, 2] } }))).toEqual([]);
    expect(indexWritesOf([ALL], withMap, counters({ marks: { a: [1, 3] } }))).toHaveLength(1);
  });

  it('prices an entry on its projection: keys only vs the whole item; an update on the larger entry', () => {
    const big = counters({ text: 'x'.repeat(2800) });
    const [all] = indexWritesOf([ALL], undefined, big);
    const [keysOnly] = indexWritesOf([KEYS_ONLY], undefined, big);
    expect(all?.units).toBe(3);
    expect(keysOnly?.units).toBe(1);
    expect(keysOnly?.bytes).toBe(
      itemSize({ pk: big.pk, sk: big.sk, gsi5pk: big.gsi5pk, gsi5sk: big.gsi5sk }),
    );
    const [shrink] = indexWritesOf([ALL], big, counters({ text: 'x' }));
    expect(shrink?.units).toBe(3);
  });

  it('checks every index on its own', () => {
    const gsi1 = { ...ALL, name: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' };
    const thread = { pk: 'THREAD#t', sk: 'THREAD', gsi1pk: 'PRAC#dr-1#THREADS', gsi1sk: 'a#t', n: 1 };
    expect(kinds(indexWritesOf([gsi1, KEYS_ONLY], thread, { ...thread, n: 2 }))).toEqual([
      'update PRAC#dr-1#THREADS',
    ]);
  });
});

describe('table write units and item sizes', () => {
  it('prices the larger image, twice in a transaction', () => {
    const small = { pk: 'a', sk: 'b' };
    const large = { pk: 'a', sk: 'b', text: 'x'.repeat(1500) };
    expect(tableWriteUnits(undefined, small, false).units).toBe(1);
    expect(tableWriteUnits(large, small, false).units).toBe(2);
    expect(tableWriteUnits(small, large, true).units).toBe(4);
    expect(tableWriteUnits(large, undefined, false).units).toBe(2);
  });

  it('sizes attributes by the pricing rules', () => {
    expect(itemSize({ pk: 'abc' })).toBe(2 + 3);
    expect(itemSize({ n: 12345 })).toBe(1 + 4);
    expect(itemSize({ b: true, z: null })).toBe(2 + 2);
    expect(itemSize({ m: { a: 'xy' } })).toBe(1 + 3 + 1 + 1 + 2);
    expect(itemSize({ l: ['xy', 1] })).toBe(1 + 3 + 1 + 2 + 1 + 2);
    expect(itemSize({ s: new Set(['ab', 'c']) })).toBe(1 + 3);
    expect(itemSize({ gone: undefined })).toBe(0);
    expect(writeUnits(0)).toBe(1);
    expect(writeUnits(1025)).toBe(2);
    expect(readUnits(4096)).toBe(1);
    expect(readUnits(4097)).toBe(2);
  });
});

describe('key classes', () => {
  const known = { practitioners: new Set(['dr-1']), patients: new Set(['pat-1']) };
  const of = (value: string) => classifyKey(value, known);

  it('per practitioner, per patient, per generated id', () => {
    expect(of('PRAC#dr-1')).toEqual({
      pattern: 'PRAC#{practitioner}',
      scope: 'practitioner',
      sharded: false,
    });
    expect(of('PRAC#dr-1#THREADS').scope).toBe('practitioner');
    expect(of('AUDIT#PRAC#dr-1').pattern).toBe('AUDIT#PRAC#{practitioner}');
    expect(of('PAT#pat-1#THREADS')).toEqual({
      pattern: 'PAT#{patient}#THREADS',
      scope: 'patient',
      sharded: false,
    });
    expect(of('THREAD#01M8R13NZC0TSBMJKKAW9EQCWY')).toEqual({
      pattern: 'THREAD#{id}',
      scope: 'entity',
      sharded: false,
    });
    expect(of('DUE#scheduled-message.dr-1.01M8R1D92AYRTQG409TZ86YCST').pattern).toBe('DUE#{id}');
  });

  it('global constants, shards and time buckets, whatever their names', () => {
    expect(of('DIGEST_DUE')).toEqual({ pattern: 'DIGEST_DUE', scope: 'global', sharded: false });
    expect(of('DUE#3')).toEqual({ pattern: 'DUE#{n}', scope: 'global', sharded: true });
    expect(of('DIGEST_DUE#12')).toEqual({ pattern: 'DIGEST_DUE#{n}', scope: 'global', sharded: true });
    expect(of('QUEUE#2026-05-14#7')).toEqual({ pattern: 'QUEUE#{date}#{n}', scope: 'global', sharded: true });
  });

  it('a segment nothing explains is "other"', () => {
    expect(of('Weird Key!').scope).toBe('other');
  });
});

describe('the scale model', () => {
  const volume = { patientMessages: 250, seconds: 100, practitioners: 20 };

  it('global keys scale to 7,000 messages/s at peak, per-entity keys to the busiest practitioner', () => {
    expect(peakRate(DEFAULT_ASSUMPTIONS)).toBeCloseTo(7000, -1);
    expect(scaleFactor('global', DEFAULT_ASSUMPTIONS, volume)).toBeCloseTo(
      peakRate(DEFAULT_ASSUMPTIONS) / 2.5,
    );
    expect(scaleFactor('other', DEFAULT_ASSUMPTIONS, volume)).toBe(
      scaleFactor('global', DEFAULT_ASSUMPTIONS, volume),
    );
    expect(scaleFactor('practitioner', DEFAULT_ASSUMPTIONS, volume)).toBeCloseTo(
      busyPractitionerPeakRate(DEFAULT_ASSUMPTIONS) / (2.5 / 20),
    );
    expect(busyPractitionerPeakRate(DEFAULT_ASSUMPTIONS)).toBeCloseTo((200 / 36_000) * 3.024);
  });

  it('one row per pattern (its hottest key; a sharded global key: its even share), hottest at 100× first, with the partitions a global pattern needs', () => {
    const known = { practitioners: new Set(['dr-1', 'dr-2']), patients: new Set<string>() };
    const heat = (where: string, partition: string, writeUnits: number) => ({
      where,
      partition,
      writes: writeUnits,
      writeUnits,
      reads: 0,
      readUnits: 0,
      writers: new Map([['f', writeUnits]]),
    });
    const rows = heatRows(
      [
        heat(TABLE, 'PRAC#dr-1', 300),
        heat(TABLE, 'PRAC#dr-2', 100),
        heat('gsi5', 'DUE#0', 10),
        heat('gsi5', 'DUE#1', 20),
      ],
      known,
      10,
      (scope) => (scope === 'global' ? 100 : 0.1),
    );
    // A sharded global key at scale: the pattern's units over its shards (30 / 2 = 15 per 10 s, × 100);
    // a per-entity key: its own hottest (300 per 10 s, × 0.1).
    expect(rows.map((r) => [r.pattern, r.example, r.keys, r.projectedWu])).toEqual([
      ['DUE#{n}', 'DUE#1', 2, 150],
      ['PRAC#{practitioner}', 'PRAC#dr-1', 2, 3],
    ]);
    expect(rows[0]?.share).toBeCloseTo(20 / 430);
    expect(rows[0]?.projectedPatternWu).toBe(300);
    expect(partitionsNeeded({ scope: 'global', projectedPatternWu: 2545 * 4 }, 1000)).toBe(11);
    expect(partitionsNeeded({ scope: 'global', projectedPatternWu: 10 }, 1000)).toBe(1);
    expect(partitionsNeeded({ scope: 'practitioner', projectedPatternWu: 5000 }, 1000)).toBeNull();
  });
});

describe('the ledger: SDK calls joined to stream records', () => {
  const record = (
    before: Record<string, unknown> | undefined,
    after: Record<string, unknown> | undefined,
  ) => ({
    dynamodb: {
      Keys: marshall({ pk: (after ?? before)?.pk, sk: (after ?? before)?.sk }),
      ...(before && { OldImage: marshall(before) }),
      ...(after && { NewImage: marshall(after) }),
    },
  });
  const call = (operation: string, input: Record<string, unknown>, error?: string) => ({
    operation,
    input,
    ...(error && { error }),
    startedAt: 0,
    endedAt: 1,
  });
  const units = (ledger: HeatLedger, where: string, partition: string) =>
    ledger.partitions.get(`${where}|${partition}`)?.writeUnits ?? 0;

  it('a transactional write costs twice on the table, once on the index, and is credited to its writer', () => {
    const ledger = new HeatLedger([ALL]);
    ledger.recordCall(
      call('TransactWriteItems', {
        TransactItems: [
          { Update: { Key: { pk: 'PRAC#dr-1', sk: 'COUNTERS' } } },
          { ConditionCheck: { Key: { pk: 'PRAC#dr-1', sk: 'SETTINGS' } } },
        ],
      }),
      'patient-start-thread',
    );
    ledger.recordChange(record(counters(), counters({ untreatedMessages: 6 })));
    expect(units(ledger, TABLE, 'PRAC#dr-1')).toBe(2 + 2);
    expect(units(ledger, 'gsi5', 'DIGEST_DUE')).toBe(1);
    expect(ledger.partitions.get('gsi5|DIGEST_DUE')?.writers).toEqual(new Map([['patient-start-thread', 1]]));
    expect(ledger.stats.conditionChecks).toBe(1);
  });

  it('a record seen before its call is charged once, then completed and credited when the call shows up', () => {
    const ledger = new HeatLedger([ALL]);
    ledger.recordChange(record(undefined, counters()));
    expect(units(ledger, TABLE, 'PRAC#dr-1')).toBe(1);
    ledger.recordCall(
      call('TransactWriteItems', { TransactItems: [{ Put: { Item: counters() } }] }),
      'writer',
    );
    expect(units(ledger, TABLE, 'PRAC#dr-1')).toBe(2);
    expect(ledger.partitions.get('gsi5|DIGEST_DUE')?.writers).toEqual(new Map([['writer', 1]]));
    expect(ledger.stats.orphanRecords).toBe(1);
  });

  it('a failed condition and a write that changed nothing are still paid', () => {
    const ledger = new HeatLedger([ALL]);
    ledger.recordChange(record(undefined, counters()));
    ledger.recordCall(call('PutItem', { Item: counters() }), 'w');
    ledger.recordCall(
      call('UpdateItem', { Key: { pk: 'PRAC#dr-1', sk: 'COUNTERS' } }, 'ConditionalCheckFailedException'),
      'w',
    );
    ledger.recordCall(call('UpdateItem', { Key: { pk: 'PRAC#dr-1', sk: 'COUNTERS' } }), 'w');
    expect(units(ledger, TABLE, 'PRAC#dr-1')).toBe(2);
    ledger.settle();
    expect(units(ledger, TABLE, 'PRAC#dr-1')).toBe(3);
    expect(ledger.stats).toMatchObject({ failedWrites: 1, unseenWrites: 1 });
  });

  it('reads: a Query is charged to the partition its key condition names, on the index it ran on', () => {
    const input = {
      IndexName: 'gsi5',
      KeyConditionExpression: '#pk = :pk AND gsi5sk <= :upTo',
      ExpressionAttributeNames: { '#pk': 'gsi5pk' },
      ExpressionAttributeValues: { ':pk': 'DIGEST_DUE', ':upTo': 'z' },
    };
    expect(partitionValueOf(input, 'gsi5pk')).toBe('DIGEST_DUE');
    const ledger = new HeatLedger([ALL]);
    ledger.recordCall({ ...call('Query', input), output: { Items: [counters()], ScannedCount: 1 } }, 'sweep');
    expect(ledger.partitions.get('gsi5|DIGEST_DUE')).toMatchObject({ reads: 1, readUnits: 0.5 });
    ledger.recordCall(
      {
        ...call('GetItem', { Key: { pk: 'PRAC#dr-1', sk: 'COUNTERS' }, ConsistentRead: true }),
        output: { Item: counters() },
      },
      'route',
    );
    expect(ledger.partitions.get(`${TABLE}|PRAC#dr-1`)).toMatchObject({ reads: 1, readUnits: 1 });
  });

  it('charges nothing while not charging, but keeps item sizes', () => {
    const ledger = new HeatLedger([ALL]);
    ledger.charging = false;
    ledger.recordCall(call('PutItem', { Item: counters({ text: 'x'.repeat(1500) }) }), 'seed');
    ledger.recordChange(record(undefined, counters({ text: 'x'.repeat(1500) })));
    expect(ledger.partitions.size).toBe(0);
    ledger.charging = true;
    ledger.recordCall(
      call('DeleteItem', { Key: { pk: 'PRAC#dr-1', sk: 'COUNTERS' } }, 'ConditionalCheckFailedException'),
      'w',
    );
    expect(units(ledger, TABLE, 'PRAC#dr-1')).toBe(2);
  });
});

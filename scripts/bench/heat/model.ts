/**
 * The scale model of docs/scale.md, as pure functions: from what one bench run
 * measured per partition key to that key's rate at 100× France at peak.
 *
 *   global / other key:   rate × (peak patient messages/s at 100× ÷ the bench's patient messages/s)
 *   per-entity key:       rate × (busiest practitioner's peak messages/s ÷ the bench's per-practitioner rate)
 *   group communication:  units per recipient × the fan-out's recipients/s in production
 *
 * Every factor is a ratio of rates measured over the same window, so the window's
 * length cancels out: a global key's figure is its write units per patient message
 * times the target rate.
 */
import { classifyKey, isPerEntity, type KeyScope, type KnownIds } from './key-classes.ts';
import type { PartitionHeat } from './ledger.ts';

export const PARTITION_WRITE_LIMIT = 1000;
export const PARTITION_READ_LIMIT = 3000;

export interface ScaleAssumptions {
  /** Patient messages a day in France today. */
  franceMessagesPerDay: number;
  /** The growth the model is sized for. */
  scale: number;
  /** Peak over the day's average rate (messages come in office hours). */
  peakFactor: number;
  /** The busiest real practitioner: patient messages a day, over a working day of this many hours. */
  busyPractitionerMessagesPerDay: number;
  workingHours: number;
}

export const DEFAULT_ASSUMPTIONS: ScaleAssumptions = {
  franceMessagesPerDay: 2_000_000,
  scale: 100,
  // 2.3 k/s average, 7 k/s at peak (the figures).
  peakFactor: 3.024,
  busyPractitionerMessagesPerDay: 200,
  workingHours: 10,
};

export const averageRate = (a: ScaleAssumptions) => (a.franceMessagesPerDay * a.scale) / 86_400;
export const peakRate = (a: ScaleAssumptions) => averageRate(a) * a.peakFactor;
/** The busiest practitioner at their own peak (their day's rate over working hours, times the peak factor). */
export const busyPractitionerPeakRate = (a: ScaleAssumptions) =>
  (a.busyPractitionerMessagesPerDay / (a.workingHours * 3600)) * a.peakFactor;

export interface BenchVolume {
  /** Patient messages the bench drove (requests and writes in threads) and the window they took. */
  patientMessages: number;
  seconds: number;
  practitioners: number;
}

export const benchMessageRate = (v: BenchVolume) => v.patientMessages / v.seconds;

/** The factor from a key's measured rate to its rate at 100× peak. */
export const scaleFactor = (scope: KeyScope, a: ScaleAssumptions, v: BenchVolume): number =>
  isPerEntity(scope)
    ? busyPractitionerPeakRate(a) / (benchMessageRate(v) / v.practitioners)
    : peakRate(a) / benchMessageRate(v);

export interface HeatRow {
  where: string;
  pattern: string;
  example: string;
  scope: KeyScope;
  sharded: boolean;
  /** Keys of this pattern seen (the row shows the hottest). */
  keys: number;
  writes: number;
  writeUnits: number;
  /** Measured write units per second of the hottest key. */
  wuPerSecond: number;
  /** The hottest key's share of every write unit of the run. */
  share: number;
  /** Every key of the pattern together: share of all write units. */
  patternShare: number;
  factor: number;
  /** Write units per second of the hottest key at 100× peak (a sharded global key: its share of the pattern). */
  projectedWu: number;
  /** Every key of the pattern together at 100× peak: what sharding has to spread. */
  projectedPatternWu: number;
  readUnits: number;
  projectedRu: number;
  /** Functions that wrote the key, most units first. */
  writers: string[];
}

const writersOf = (heat: PartitionHeat) =>
  [...heat.writers].sort((a, b) => b[1] - a[1]).map(([name, units]) => `${name} ${units}`);

/**
 * One row per (table or index, key pattern): the hottest key of the pattern, its
 * measured and projected rates. Sorted hottest first (projected write units, then reads).
 */
export const heatRows = (
  partitions: Iterable<PartitionHeat>,
  known: KnownIds,
  seconds: number,
  factorOf: (scope: KeyScope) => number,
): HeatRow[] => {
  const all = [...partitions];
  const totalUnits = all.reduce((n, h) => n + h.writeUnits, 0) || 1;
  const groups = new Map<
    string,
    { heat: PartitionHeat[]; scope: KeyScope; sharded: boolean; pattern: string }
  >();
  for (const heat of all) {
    const { pattern, scope, sharded } = classifyKey(heat.partition, known);
    const id = `${heat.where}|${pattern}`;
    const group = groups.get(id);
    if (group) group.heat.push(heat);
    else groups.set(id, { heat: [heat], scope, sharded, pattern });
  }
  const rows: HeatRow[] = [];
  for (const { heat, scope, sharded, pattern } of groups.values()) {
    const hottest = heat.reduce((a, b) => (b.writeUnits > a.writeUnits ? b : a));
    const hottestRead = heat.reduce((a, b) => (b.readUnits > a.readUnits ? b : a));
    const factor = factorOf(scope);
    const patternUnits = heat.reduce((n, h) => n + h.writeUnits, 0);
    // A sharded queue key is a hash of an id: at 100× France millions of ids spread it evenly over
    // its shards, the bench's few hundred do not — its hottest sampled shard is luck, not load. Its
    // rate at scale is the pattern's over the shards seen (conservative: never more shards than seen).
    const hottestUnits = sharded && !isPerEntity(scope) ? patternUnits / heat.length : hottest.writeUnits;
    rows.push({
      where: hottest.where,
      pattern,
      example: hottest.partition,
      scope,
      sharded,
      keys: heat.length,
      writes: hottest.writes,
      writeUnits: hottest.writeUnits,
      wuPerSecond: hottest.writeUnits / seconds,
      share: hottest.writeUnits / totalUnits,
      patternShare: heat.reduce((n, h) => n + h.writeUnits, 0) / totalUnits,
      factor,
      projectedWu: (hottestUnits / seconds) * factor,
      projectedPatternWu: (patternUnits / seconds) * factor,
      readUnits: hottestRead.readUnits,
      projectedRu: (hottestRead.readUnits / seconds) * factor,
      writers: writersOf(hottest),
    });
  }
  return rows.sort((a, b) => b.projectedWu - a.projectedWu || b.projectedRu - a.projectedRu);
};

/**
 * Partitions a global key pattern needs to stay under the limit at 100× peak, if its
 * writes were spread evenly (a hash of an id spreads them about so): its total
 * over the limit, at least 1. Per-entity patterns are not sharded ('–').
 */
export const partitionsNeeded = (row: Pick<HeatRow, 'scope' | 'projectedPatternWu'>, limit: number) =>
  isPerEntity(row.scope) ? null : Math.max(1, Math.ceil(row.projectedPatternWu / limit));

export const verdict = (value: number, limit: number) =>
  value > limit ? `HOT ×${(value / limit).toFixed(1)}` : value > limit / 2 ? 'warm (>50 %)' : 'ok';

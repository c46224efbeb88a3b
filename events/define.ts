import { EVENT_SOURCE } from '../shared/config.ts';
import type * as z from '../shared/validation.ts';

/**
 * One published event: its source, detail-type, schema version and the zod
 * schema of its detail. Details carry ids and timestamps only, never message text.
 */
export interface EventDefinition<S extends z.core.$ZodType = z.core.$ZodType> {
  source: string;
  detailType: string;
  version: number;
  schema: S;
  /**
   * An AWS service's event about one S3 object: where its detail names the bucket and the key, so a
   * rule can match only the objects of one bucket (shared/function-model/triggers.ts resolveRule).
   */
  s3Object?: { readonly bucketName: readonly string[]; readonly objectKey: readonly string[] };
}

export const defineEvent = <S extends z.core.$ZodType>(
  detailType: string,
  schema: S,
  version = 1,
): EventDefinition<S> => ({
  source: EVENT_SOURCE,
  detailType,
  version,
  schema,
});

export type EventDetail<E extends EventDefinition> = z.infer<E['schema']>;

/**
 * An event another service publishes and this one consumes (source `agenda`).
 * Its detail is the other service's contract, not our `{ metadata, data }`
 * envelope, and may hold what that service sends (the agenda sends names).
 */
export const defineConsumedEvent = <S extends z.core.$ZodType>(
  source: string,
  detailType: string,
  schema: S,
  version = 1,
  s3Object?: EventDefinition['s3Object'],
): EventDefinition<S> => ({ source, detailType, version, schema, ...(s3Object && { s3Object }) });

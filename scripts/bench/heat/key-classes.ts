/**
 * What a partition key value's traffic grows with, read from the value itself
 * (never from a list of today's key names, so renamed or sharded keys are still
 * classified). The value is split on `#`; each segment is
 *
 *   a practitioner id the bench created   → {practitioner}
 *   a patient id the bench created        → {patient}
 *   a generated id (ULID, UUID, or text with lower case, digits, dots or dashes) → {id}
 *   an integer                            → {n}     (a shard number)
 *   a date or date-time                   → {date}  (a time bucket)
 *   UPPER_CASE text                       → itself  (a constant: COUNTERS, DIGEST_DUE, THREADS…)
 *   anything else                         → {?}
 *
 * and the key's scope follows:
 *
 *   practitioner  it names a practitioner: PRAC#{practitioner}, PRAC#{practitioner}#THREADS…
 *   patient       it names a patient (and no practitioner): PAT#{patient}…
 *   entity        it names one generated thing: THREAD#{id}, COMM#{id}, OUTBOX#{id}, DUE#{id}…
 *   global        constants, shards and time buckets only: DIGEST_DUE, DUE#{n}, NOTIFY_CLAIMS#{n}…
 *   other         a segment nothing above explains (extrapolated like a global key: the cautious side)
 *
 * practitioner, patient and entity keys carry one practitioner's (or patient's)
 * activity, which does not grow with the number of practitioners; global and
 * other keys carry a share of the whole service's.
 */
export type KeyScope = 'practitioner' | 'patient' | 'entity' | 'global' | 'other';

export interface KeyClass {
  /** The value with its variable segments replaced, e.g. `PRAC#{practitioner}#THREADS`. */
  pattern: string;
  scope: KeyScope;
  /** A shard number or time bucket is part of the key: its traffic is a slice of a global stream. */
  sharded: boolean;
}

export interface KnownIds {
  practitioners: ReadonlySet<string>;
  patients: ReadonlySet<string>;
}

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const INTEGER = /^\d{1,6}$/;
const DATE = /^\d{4}-\d{2}-\d{2}(T[\d:.]+Z?)?$/;
const CONSTANT = /^[A-Z][A-Z0-9_]*$/;
const GENERATED = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;

const segmentOf = (segment: string, known: KnownIds): string => {
  if (known.practitioners.has(segment)) return '{practitioner}';
  if (known.patients.has(segment)) return '{patient}';
  if (ULID.test(segment) || UUID.test(segment)) return '{id}';
  if (INTEGER.test(segment)) return '{n}';
  if (DATE.test(segment)) return '{date}';
  if (CONSTANT.test(segment)) return segment;
  // Ids the service makes up from others (work ids such as `automation.<dr>.<id>.<appt>`).
  if (GENERATED.test(segment) && /[a-z0-9.-]/.test(segment)) return '{id}';
  return '{?}';
};

export const classifyKey = (value: string, known: KnownIds): KeyClass => {
  const segments = value.split('#').map((segment) => segmentOf(segment, known));
  const pattern = segments.join('#');
  const sharded = segments.includes('{n}') || segments.includes('{date}');
  const scope: KeyScope = segments.includes('{practitioner}')
    ? 'practitioner'
    : segments.includes('{patient}')
      ? 'patient'
      : segments.includes('{id}')
        ? 'entity'
        : segments.includes('{?}')
          ? 'other'
          : 'global';
  return { pattern, scope, sharded };
};

/** Scopes whose traffic is one practitioner's activity (it does not grow with the number of practitioners). */
export const isPerEntity = (scope: KeyScope) =>
  scope === 'practitioner' || scope === 'patient' || scope === 'entity';

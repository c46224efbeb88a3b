/**
 * The single table's physical shape, shared by the CDK stack and the local stack
 * so both create exactly the same keys and indexes. Access patterns: docs/data-model.md.
 */
import {
  ASSIGNEE_LIST_FIELDS,
  PATIENT_LIST_FIELDS,
  PRACTITIONER_LIST_FIELDS,
} from '../domain/thread-lists.ts';

export const KEY_ATTRIBUTES = ['pk', 'sk'] as const;

/**
 * What an index copies of each item. ALL rewrites the index entry on ANY change of
 * the item; KEYS_ONLY and INCLUDE only when a key or an included attribute changes
 * (a write that touches none of them costs the index nothing) — the lever against
 * hot index partitions (docs/scale.md).
 */
export type IndexProjection =
  | { type: 'ALL' }
  | { type: 'KEYS_ONLY' }
  | { type: 'INCLUDE'; attributes: readonly string[] };

export interface IndexDefinition {
  name: string;
  partitionKey: string;
  sortKey: string;
  projection: IndexProjection;
  /** Why the index exists, for the data-model document and code readers. */
  purpose: string;
}

const ALL = { type: 'ALL' } as IndexProjection;

/**
 * The inbox indexes project what each side's list shows, per side
 * (shared/domain/thread-lists.ts): a patient's read never rewrites the
 * practitioner's entries, a practitioner's read never the patient's; the version
 * and the read receipts are projected nowhere (ADR 0007).
 */
const PRACTITIONER_LIST: IndexProjection = { type: 'INCLUDE', attributes: PRACTITIONER_LIST_FIELDS };
const PATIENT_LIST: IndexProjection = { type: 'INCLUDE', attributes: PATIENT_LIST_FIELDS };

export const INDEXES = [
  {
    name: 'gsi1',
    partitionKey: 'gsi1pk',
    sortKey: 'gsi1sk',
    projection: PRACTITIONER_LIST,
    purpose: 'practitioner inbox, all threads, newest first',
  },
  {
    name: 'gsi2',
    partitionKey: 'gsi2pk',
    sortKey: 'gsi2sk',
    projection: PRACTITIONER_LIST,
    purpose: 'practitioner inbox by status (open / closed)',
  },
  {
    name: 'gsi3',
    partitionKey: 'gsi3pk',
    sortKey: 'gsi3sk',
    projection: PRACTITIONER_LIST,
    purpose: 'practitioner inbox, untreated only (sparse)',
  },
  {
    name: 'gsi4',
    partitionKey: 'gsi4pk',
    sortKey: 'gsi4sk',
    projection: PATIENT_LIST,
    purpose: 'patient inbox, newest first',
  },
  {
    name: 'gsi5',
    partitionKey: 'gsi5pk',
    sortKey: 'gsi5sk',
    projection: ALL,
    purpose: 'sparse work queues: due work, scheduled messages, inbox reopening, patient-email claims',
  },
  {
    name: 'gsi6',
    partitionKey: 'gsi6pk',
    sortKey: 'gsi6sk',
    // Keys only: a write that leaves gsi6pk/gsi6sk alone costs this index nothing, so the
    // notification queues are rewritten only when an entry appears, moves or goes (ADR 0004).
    projection: { type: 'KEYS_ONLY' },
    purpose: 'notification sweep queues, sharded, keys only: DIGEST_DUE#<n>, NOTIFY_PENDING#<n>',
  },
  {
    name: 'gsi7',
    partitionKey: 'gsi7pk',
    sortKey: 'gsi7sk',
    // gsi1–gsi3's projection cannot change in place (an index is rebuilt to change it): the
    // assignee lives here, with the list fields, so the triage views read one index.
    projection: { type: 'INCLUDE', attributes: ASSIGNEE_LIST_FIELDS },
    purpose: 'practitioner open inbox by assignee (triage, SPEC 11.2): ASSIGNEE#<id> or ASSIGNEE#NONE',
  },
] as const satisfies readonly IndexDefinition[];

export type IndexName = (typeof INDEXES)[number]['name'];

/**
 * The table's stream: new images only. The transactional outbox is read from it
 * (functions/outbox-publisher, whose event source mapping lets only outbox items
 * through); old images would double the stream's size for nothing.
 */
export const TABLE_STREAM_VIEW_TYPE = 'NEW_IMAGE' as const;

/**
 * The idempotency table (Powertools Idempotency, shared/http/idempotency.ts):
 * its own table rather than the single table, so Powertools' key layout (a hash
 * as the whole primary key, its own TTL attribute in epoch seconds) stays out of
 * the domain table and its records, which hold copies of first responses, can
 * expire on their own. Named after the main table: `<table>-idempotency`.
 */
export const IDEMPOTENCY_TABLE = {
  nameFor: (tableName: string) => `${tableName}-idempotency`,
  partitionKey: 'id',
  ttlAttribute: 'expiration',
} as const;

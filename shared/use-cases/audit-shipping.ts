/**
 * The audit shipper (functions/audit-shipper): every audit entry committed to the
 * table becomes one link of its subject's hash chain in the Object Lock bucket
 * (shared/domain/audit-chain.ts, docs/adr/0012-audit-object-lock.md).
 *
 * Per entry: read the subject's head → compute the next link → claim it (head
 * moved from `seq` to `seq + 1` and the entry's marker created, in one
 * transaction) → PutObject with `If-None-Match: *`. A claim that loses a race is
 * retried on the new head; an entry claimed before (a redelivery) is written again
 * from its marker, byte for byte the same link, and S3 answers 412 if it is there.
 * So a redelivery never adds a link, and concurrent shippers never fork a chain.
 *
 * Records are handled in stream order per subject, subjects in parallel; the
 * first failed record is answered (batchItemFailures) and the batch is retried
 * from there: what was shipped before it is recognised and skipped.
 *
 * A MODIFY or REMOVE of an audit entry (which no function may do: IAM lets them
 * only Put, and the code only with `attribute_not_exists`) is logged and counted
 * (`AuditEntryChanged`, alarmed), except the TTL's deletions after 20 years.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { isTtlDeletion } from '../db/stream-records.ts';
import {
  type ChainLink,
  type ChainSubject,
  GENESIS_HASH,
  linkObjectKey,
  makeLink,
  type ShippedEntry,
  subjectOfPartition,
} from '../domain/audit-chain.ts';
import type { StreamBatchResponse } from '../events-consumer.ts';
import type { AuditChainRepository } from '../repositories/audit-chain-repository.ts';
import type { Clock } from '../runtime/clock.ts';
import { logger, metrics } from '../runtime/logger.ts';
import * as z from '../validation.ts';

/** Where the links go: one object per link, never overwritten (the adapter sends If-None-Match: *). */
export interface AuditArchive {
  /** Resolves when the object exists with this body (written now, or already there). */
  putLink(key: string, body: string): Promise<void>;
}

export interface AuditShippingPorts {
  chain: AuditChainRepository;
  archive: AuditArchive;
  clock: Clock;
}

const MAX_CLAIM_ATTEMPTS = 25;

const scalar = z.union([z.string(), z.number(), z.boolean()]);

/** The audit item as shared/repositories/audit-repository.ts writes it (ids, verbs and times only). */
const auditItemSchema = z.object({
  pk: z.string().check(z.maxLength(512)),
  sk: z.string().check(z.maxLength(512)),
  entity: z.literal('AuditEntry'),
  action: z.string().check(z.maxLength(64)),
  actorRole: z.string().check(z.maxLength(32)),
  actorId: z.string().check(z.maxLength(128)),
  actorOnBehalfOf: z.optional(z.string().check(z.maxLength(128))),
  at: z.string().check(z.maxLength(64)),
  requestId: z.string().check(z.maxLength(256)),
  objects: z._default(z.record(z.string(), z.string().check(z.maxLength(256))), {}),
  details: z.optional(z.record(z.string(), scalar)),
});

/** The shipped form of a table audit item (also what `audit verify` compares the table with). */
export const shippedEntryOf = (
  item: Record<string, unknown>,
): { subject: ChainSubject; entry: ShippedEntry } | null => {
  const parsed = z.safeParse(auditItemSchema, item);
  if (!parsed.success) return null;
  const subject = subjectOfPartition(parsed.data.pk);
  if (!subject) return null;
  const { sk, action, actorRole, actorId, actorOnBehalfOf, at, requestId, objects, details } = parsed.data;
  return {
    subject,
    entry: {
      entryKey: sk,
      action,
      actorRole,
      actorId,
      ...(actorOnBehalfOf !== undefined && { actorOnBehalfOf }),
      at,
      requestId,
      objects,
      ...(details && { details }),
    },
  };
};

/** Ships one entry; resolves once its link is in the bucket. */
export const shipEntry = async (
  ports: AuditShippingPorts,
  subject: ChainSubject,
  entry: ShippedEntry,
): Promise<ChainLink> => {
  for (let attempt = 1; attempt <= MAX_CLAIM_ATTEMPTS; attempt++) {
    const head = await ports.chain.head(subject);
    const link = makeLink(subject, (head?.seq ?? 0) + 1, entry, head?.hash ?? GENESIS_HASH);
    const claim = await ports.chain.claim(link, head, ports.clock.now());
    if (claim.outcome === 'moved') continue;
    const shipped = claim.outcome === 'claimed' ? link : makeLink(subject, claim.seq, entry, claim.prevHash);
    if (claim.outcome === 'already') metrics.addMetric('AuditEntryRedelivered', 'Count', 1);
    await ports.archive.putLink(linkObjectKey(subject, shipped.seq), JSON.stringify(shipped));
    return shipped;
  }
  throw new Error(
    `Audit chain head of ${subject.split('#')[0]} kept moving; retried ${MAX_CLAIM_ATTEMPTS} times`,
  );
};

interface Pending {
  index: number;
  sequenceNumber: string;
  subject: ChainSubject;
  entry: ShippedEntry;
}

export const shipAuditRecords = async (
  ports: AuditShippingPorts,
  records: readonly DynamoDBRecord[],
): Promise<StreamBatchResponse> => {
  const bySubject = new Map<ChainSubject, Pending[]>();
  records.forEach((record, index) => {
    const sequenceNumber = record.dynamodb?.SequenceNumber ?? '';
    const keys = record.dynamodb?.Keys
      ? unmarshall(record.dynamodb.Keys as Record<string, AttributeValue>)
      : {};
    if (record.eventName !== 'INSERT') {
      if (isTtlDeletion(record)) return;
      // Keys only: an audit key holds ids and a time.
      metrics.addMetric('AuditEntryChanged', 'Count', 1);
      logger.error('An audit entry was changed or deleted in the table; the shipped copy is the reference', {
        eventName: record.eventName,
        pk: keys.pk,
        sk: keys.sk,
        sequenceNumber,
      });
      return;
    }
    const image = record.dynamodb?.NewImage;
    const shipped = image ? shippedEntryOf(unmarshall(image as Record<string, AttributeValue>)) : null;
    if (!shipped) {
      metrics.addMetric('AuditItemInvalid', 'Count', 1);
      logger.error('Stream record is not a valid audit entry; skipped', {
        pk: keys.pk,
        sk: keys.sk,
        sequenceNumber,
      });
      return;
    }
    const list = bySubject.get(shipped.subject) ?? [];
    list.push({ index, sequenceNumber, ...shipped });
    bySubject.set(shipped.subject, list);
  });

  // In order within a subject (its chain follows the stream), subjects in parallel.
  const failures = await Promise.all(
    [...bySubject.values()].map(async (pending): Promise<Pending | null> => {
      for (const item of pending) {
        try {
          await shipEntry(ports, item.subject, item.entry);
          metrics.addMetric('AuditEntriesShipped', 'Count', 1);
        } catch (error) {
          logger.warn('Audit entry not shipped; the batch is retried from it', {
            sequenceNumber: item.sequenceNumber,
            errorName: (error as Error)?.name,
          });
          return item;
        }
      }
      return null;
    }),
  );
  const first = failures.filter((f): f is Pending => f !== null).sort((a, b) => a.index - b.index)[0];
  return { batchItemFailures: first ? [{ itemIdentifier: first.sequenceNumber }] : [] };
};

/**
 * What the table's TTL deletes and leaves behind outside the table: an attachment item
 * (`ATTACH#<id> / ATTACHMENT`) at the end of its retention — the medical record's, for a message's or a
 * group communication's file, or the 48-hour backstop of an unused one — leaves its object
 * (`attachments/<id>`) in the bucket: a file of health data outliving its record. The outbox
 * publisher reads these deletions from the stream (filtered at the source: functions/outbox-publisher)
 * and puts the same `AttachmentRemoved` the service's own deletions write to their outbox, so
 * attachment-remover deletes the object (docs/adr/0016-attachments.md).
 *
 * Only the TTL's deletions: a function that deletes an attachment item (the 24-hour expiry, an erasure)
 * writes its own `AttachmentRemoved` in the same transaction, so its REMOVE record is ignored here
 * rather than published a second time.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { AttachmentRemoved } from '../../events/attachment-removed.ts';
import { attachmentIdOfKey } from '../db/keys.ts';
import { isTtlDeletion } from '../db/stream-records.ts';
import type { Clock } from '../runtime/clock.ts';
import type { BusEntry } from '../runtime/publisher.ts';
import * as z from '../validation.ts';

/** When DynamoDB wrote the record (epoch seconds on the stream), else now. */
const occurredAtOf = (record: DynamoDBRecord, clock: Clock): string => {
  const seconds = Number(record.dynamodb?.ApproximateCreationDateTime);
  return new Date(
    Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : clock.now().getTime(),
  ).toISOString();
};

/**
 * The bus entries a TTL deletion causes: one `AttachmentRemoved` (reason `expired`) for an attachment
 * item, nothing for any other record. The event id is the stream record's own (`eventID`, unique per
 * record): a retried batch puts the same id again, as the outbox's events do.
 */
export const ttlRemovalEntries = (record: DynamoDBRecord, clock: Clock): BusEntry[] => {
  if (!isTtlDeletion(record) || !record.dynamodb?.Keys) return [];
  const keys = unmarshall(record.dynamodb.Keys as Record<string, AttributeValue>);
  const attachmentId = attachmentIdOfKey(keys);
  const eventId = record.eventID ?? record.dynamodb.SequenceNumber;
  if (!attachmentId || !eventId) return [];
  return [
    {
      definition: AttachmentRemoved,
      envelope: {
        metadata: {
          eventId,
          version: AttachmentRemoved.version,
          occurredAt: occurredAtOf(record, clock),
          correlationId: null,
        },
        data: z.parse(AttachmentRemoved.schema, { attachmentId, reason: 'expired' }),
      },
    },
  ];
};

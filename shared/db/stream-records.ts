/**
 * The table stream's records that the table's TTL writes. A deletion by the TTL is a REMOVE record with
 * `userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' }`; a delete made by a function
 * has no `userIdentity` (DynamoDB Developer Guide, "DynamoDB Streams and Time to Live":
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/time-to-live-ttl-streams.html).
 * With the table's view (NEW_IMAGE), such a record carries the item's keys and nothing else.
 */
import type { DynamoDBRecord } from 'aws-lambda';

/** Who the stream names as the deleter of an expired item. */
export const TTL_DELETER = { type: 'Service', principalId: 'dynamodb.amazonaws.com' } as const;

export const isTtlDeletion = (record: Pick<DynamoDBRecord, 'eventName' | 'userIdentity'>): boolean =>
  record.eventName === 'REMOVE' &&
  record.userIdentity?.type === TTL_DELETER.type &&
  record.userIdentity?.principalId === TTL_DELETER.principalId;

/**
 * A stream filter (Lambda event filtering, EventBridge pattern syntax) matching the TTL's deletions of the
 * items with this partition-key prefix and this sort key, and nothing else: no write, no delete by a function.
 */
export const ttlDeletionsFilter = (key: { pkPrefix: string; sk: string }) => ({
  eventName: ['REMOVE'],
  userIdentity: { type: [TTL_DELETER.type], principalId: [TTL_DELETER.principalId] },
  dynamodb: { Keys: { pk: { S: [{ prefix: key.pkPrefix }] }, sk: { S: [key.sk] } } },
});

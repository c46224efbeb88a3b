/**
 * A REMOVE record of the table's stream as Lambda hands it to a stream function in AWS: the table's view is
 * NEW_IMAGE, so a deletion carries the item's keys and nothing else; a deletion by the table's TTL also
 * carries `userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' }` (DynamoDB Developer
 * Guide, "DynamoDB Streams and Time to Live"), a delete made by a function none. DynamoDB Local applies no
 * TTL, so tests build the TTL's records with this.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';

export const removeRecord = (
  key: { pk: string; sk: string },
  sequenceNumber: string,
  options: { ttl: boolean; eventID?: string; at?: string },
): DynamoDBRecord => ({
  eventID: options.eventID ?? `c4ca4238a0b923820dcc509a6f7${sequenceNumber.padStart(5, '0')}`,
  eventName: 'REMOVE',
  eventVersion: '1.1',
  eventSource: 'aws:dynamodb',
  awsRegion: 'eu-west-3',
  dynamodb: {
    ApproximateCreationDateTime: Math.floor(Date.parse(options.at ?? '2046-05-14T10:00:00.000Z') / 1000),
    Keys: marshall(key) as Record<string, AttributeValue> as never,
    SequenceNumber: sequenceNumber,
    SizeBytes: 60,
    StreamViewType: 'NEW_IMAGE',
  },
  ...(options.ttl && { userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' } }),
  eventSourceARN:
    'arn:aws:dynamodb:eu-west-3:111111111111:table/patient-messaging-dev/stream/2026-05-01T00:00:00.000',
});

/**
 * The shipped audit chain (docs/adr/0012-audit-object-lock.md) end to end on real
 * emulators: entries written by the audit repository to DynamoDB Local, shipped by
 * the audit shipper's use case from stream records of those very items, into a
 * real S3-compatible server (local/s3-local.ts), both clients under the shipper's
 * IAM grants (local enforcement); then `audit verify` (scripts/audit-verification.ts)
 * on the result, and on the result after tampering with the bucket or the table.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { declaration as shipperDeclaration } from '../../functions/audit-shipper/function.ts';
import { FUNCTIONS } from '../../functions/catalog.ts';
import { iamEnforcement } from '../../local/iam-enforcement.ts';
import { type S3Local, startS3Local } from '../../local/s3-local.ts';
import { verifyAuditArchive } from '../../scripts/audit-verification.ts';
import { createDynamoDbClient, type Db, documentClientOver } from '../../shared/db/client.ts';
import { auditKeys } from '../../shared/db/keys.ts';
import type { AuditEntry } from '../../shared/domain/audit.ts';
import { type ChainLink, linkObjectKey } from '../../shared/domain/audit-chain.ts';
import { auditBucketNameFor, serviceResources } from '../../shared/function-model/permissions.ts';
import { createAuditChainRepository } from '../../shared/repositories/audit-chain-repository.ts';
import { createAuditRepository } from '../../shared/repositories/audit-repository.ts';
import { s3AuditArchive } from '../../shared/runtime/audit-archive.ts';
import { fixedClock } from '../../shared/runtime/clock.ts';
import { createS3Client } from '../../shared/runtime/s3-client.ts';
import { type AuditShippingPorts, shipAuditRecords } from '../../shared/use-cases/audit-shipping.ts';
import { dynamoDbEndpoint, newTable } from './harness.ts';

const REGION = 'eu-west-3';
const THREAD = 'THREAD#01JTHREADAAAAAAAAAAAAAAAAA';
const PRAC = 'PRAC#dr-martin';

let s3Local: S3Local;
let db: Db;
let bucket: string;
let admin: S3Client;
let ports: AuditShippingPorts;
let sequence = 0;
const clock = fixedClock('2026-05-14T08:00:00.000Z');

beforeAll(async () => {
  s3Local = await startS3Local({ buckets: [] });
});
afterAll(async () => {
  await s3Local?.stop();
});

beforeEach(async () => {
  db = await newTable();
  bucket = auditBucketNameFor(db.tableName).toLowerCase().slice(0, 63);
  const fresh = await startS3LocalBucket(bucket);
  admin = fresh;
  // The shipper's clients, refused locally whatever its role would be refused in AWS.
  const enforcement = iamEnforcement({
    account: { region: REGION, accountId: '000000000000' },
    resources: serviceResources({
      partition: 'aws',
      region: REGION,
      accountId: '000000000000',
      tableName: db.tableName,
      idempotencyTableName: `${db.tableName}-idempotency`,
      busName: 'patient-messaging',
      senderAddress: 'no-reply@patient-messaging.local',
      configurationSetName: `${db.tableName}-emails`,
      auditBucketName: bucket,
    }),
    declarations: FUNCTIONS,
    onDenied: (name, why) => console.error(`IAM: ${name} is not allowed ${why}`),
  });
  const rawDb = createDynamoDbClient({ endpoint: dynamoDbEndpoint(), region: REGION });
  enforcement.decorate('dynamodb', rawDb, shipperDeclaration);
  const s3 = createS3Client({ endpoint: s3Local.url, region: REGION });
  enforcement.decorate('s3', s3, shipperDeclaration);
  ports = {
    chain: createAuditChainRepository({ client: documentClientOver(rawDb), tableName: db.tableName }),
    archive: s3AuditArchive(s3, bucket),
    clock,
  };
});

const startS3LocalBucket = async (name: string): Promise<S3Client> => {
  const client = s3Local.client();
  const { CreateBucketCommand } = await import('@aws-sdk/client-s3');
  await client.send(new CreateBucketCommand({ Bucket: name }));
  return client;
};

let entryNo = 0;
/** Writes `count` entries of a subject through the audit repository (as every function does). */
const writeEntries = async (subject: string, count: number): Promise<void> => {
  const audit = createAuditRepository(db);
  const entries = Array.from({ length: count }, () => {
    entryNo += 1;
    const at = new Date(Date.parse('2026-05-14T08:00:00.000Z') + entryNo * 1000).toISOString();
    const entry: AuditEntry = subject.startsWith('THREAD#')
      ? {
          subject: { kind: 'thread', threadId: subject.slice('THREAD#'.length) },
          action: 'message.sent',
          objects: { threadId: subject.slice('THREAD#'.length), messageId: `m-${entryNo}` },
          details: { sender: 'patient' },
          actor: { role: 'patient', id: 'pat-camille' },
          at,
          requestId: `req-${entryNo}`,
        }
      : {
          subject: { kind: 'practitioner', practitionerId: subject.slice('PRAC#'.length) },
          action: 'patient.viewed',
          objects: { practitionerId: subject.slice('PRAC#'.length), patientId: 'pat-camille' },
          actor: { role: 'practitioner', id: 'dr-martin' },
          at,
          requestId: `req-${entryNo}`,
        };
    return { entry, entryId: `01JENTRY${String(entryNo).padStart(18, '0')}` };
  });
  // One at a time: the stream order is the write order.
  for (const one of entries) await audit.record([one]);
};

/** The table's audit items of a subject as the stream delivers them (INSERT, new image), in write order. */
const streamRecords = async (subject: string): Promise<DynamoDBRecord[]> => {
  const { Items = [] } = await db.client.send(
    new QueryCommand({
      TableName: db.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `AUDIT#${subject}` },
    }),
  );
  return Items.map((item) => {
    sequence += 1;
    return {
      eventName: 'INSERT',
      eventSource: 'aws:dynamodb',
      dynamodb: {
        Keys: marshall({ pk: item.pk, sk: item.sk }) as Record<string, AttributeValue>,
        NewImage: marshall(item, { removeUndefinedValues: true }) as Record<string, AttributeValue>,
        SequenceNumber: String(sequence).padStart(21, '0'),
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
    } as DynamoDBRecord;
  });
};

const verify = (options: { subject?: string; now?: Date } = {}) =>
  verifyAuditArchive({ s3: admin, bucket, db, ...options });

const objectKeys = async (): Promise<string[]> =>
  ((await admin.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []).map(
    (o) => o.Key as string,
  );

const readLink = async (key: string): Promise<ChainLink> =>
  JSON.parse(
    (await (
      await admin.send(new GetObjectCommand({ Bucket: bucket, Key: key }))
    ).Body?.transformToString()) ?? '',
  ) as ChainLink;

const shipAll = async (...subjects: string[]) => {
  const records = (await Promise.all(subjects.map(streamRecords))).flat();
  const result = await shipAuditRecords(ports, records);
  expect(result.batchItemFailures).toEqual([]);
  return records;
};

describe('the audit shipper and audit verify', () => {
  it('ships every entry as one chained link per subject, and verify finds nothing', async () => {
    await writeEntries(THREAD, 5);
    await writeEntries(PRAC, 3);
    await shipAll(THREAD, PRAC);
    expect((await objectKeys()).sort()).toEqual(
      [
        ...[1, 2, 3, 4, 5].map((n) => linkObjectKey(THREAD, n)),
        ...[1, 2, 3].map((n) => linkObjectKey(PRAC, n)),
      ].sort(),
    );
    const second = await readLink(linkObjectKey(THREAD, 2));
    const first = await readLink(linkObjectKey(THREAD, 1));
    expect(second.prevHash).toBe(first.hash);
    // Ids, verbs and times only.
    expect(Object.keys(second.entry).sort()).toEqual(
      ['action', 'actorId', 'actorRole', 'at', 'details', 'entryKey', 'objects', 'requestId'].sort(),
    );
    const report = await verify();
    expect(report).toMatchObject({ subjects: 2, links: 8, tableEntries: 8, findings: [] });
  });

  it('a redelivered batch adds no link and changes no head', async () => {
    await writeEntries(THREAD, 4);
    const records = await shipAll(THREAD);
    const before = await objectKeys();
    const head = await ports.chain.head(THREAD);
    // The same records again, and again from the middle (a retry from a failed record).
    expect((await shipAuditRecords(ports, records)).batchItemFailures).toEqual([]);
    expect((await shipAuditRecords(ports, records.slice(2))).batchItemFailures).toEqual([]);
    expect(await objectKeys()).toEqual(before);
    expect(await ports.chain.head(THREAD)).toEqual(head);
    expect((await verify()).findings).toEqual([]);
  });

  it('concurrent shippers with overlapping batches never fork a chain: each entry is one link', async () => {
    await writeEntries(THREAD, 12);
    const records = await streamRecords(THREAD);
    const shuffled = (offset: number) => [...records.slice(offset), ...records.slice(0, offset)];
    const results = await Promise.all(
      [0, 3, 6, 9, 0, 5].map((offset) => shipAuditRecords(ports, shuffled(offset))),
    );
    for (const result of results) expect(result.batchItemFailures).toEqual([]);
    const keys = await objectKeys();
    expect(keys).toHaveLength(12);
    expect((await ports.chain.head(THREAD))?.seq).toBe(12);
    const links = await Promise.all(keys.map(readLink));
    expect(new Set(links.map((l) => l.entry.entryKey)).size).toBe(12);
    expect((await verify()).findings).toEqual([]);
  });

  it('a MODIFY or REMOVE of an audit entry is reported, never shipped; the TTL deletion is ignored', async () => {
    await writeEntries(THREAD, 2);
    const [first] = await streamRecords(THREAD);
    const keysOnly = { Keys: first?.dynamodb?.Keys, SequenceNumber: '9'.repeat(21) };
    const result = await shipAuditRecords(ports, [
      { eventName: 'MODIFY', dynamodb: { ...keysOnly, NewImage: first?.dynamodb?.NewImage } },
      { eventName: 'REMOVE', dynamodb: keysOnly },
      {
        eventName: 'REMOVE',
        dynamodb: keysOnly,
        userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' },
      },
    ] as DynamoDBRecord[]);
    expect(result.batchItemFailures).toEqual([]);
    expect(await objectKeys()).toEqual([]);
    expect(await ports.chain.head(THREAD)).toBeNull();
  });

  describe('verify reports exactly what was done to the bucket or the table', () => {
    beforeEach(async () => {
      await writeEntries(THREAD, 5);
      await writeEntries(PRAC, 2);
      await shipAll(THREAD, PRAC);
      expect((await verify()).findings).toEqual([]);
    });

    it('an altered entry', async () => {
      const key = linkObjectKey(THREAD, 3);
      const link = await readLink(key);
      const forged = { ...link, entry: { ...link.entry, action: 'thread.viewed' } };
      await admin.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(forged) }));
      const { findings } = await verify();
      expect(findings.map((f) => [f.kind, f.subject, f.seq])).toEqual([['altered', THREAD, 3]]);
    });

    it('a deleted link (in the middle, and the last one)', async () => {
      await admin.send(new DeleteObjectCommand({ Bucket: bucket, Key: linkObjectKey(THREAD, 2) }));
      expect((await verify()).findings.map((f) => [f.kind, f.subject, f.seq])).toEqual([['gap', THREAD, 2]]);
      await admin.send(new DeleteObjectCommand({ Bucket: bucket, Key: linkObjectKey(PRAC, 2) }));
      const { findings } = await verify({ subject: PRAC });
      // The head says 2 were shipped: the missing tail is a gap too.
      expect(findings.map((f) => [f.kind, f.subject, f.seq])).toEqual([['gap', PRAC, 2]]);
    });

    it('reordered links', async () => {
      const [two, three] = await Promise.all([
        readLink(linkObjectKey(THREAD, 2)),
        readLink(linkObjectKey(THREAD, 3)),
      ]);
      await admin.send(
        new PutObjectCommand({ Bucket: bucket, Key: linkObjectKey(THREAD, 2), Body: JSON.stringify(three) }),
      );
      await admin.send(
        new PutObjectCommand({ Bucket: bucket, Key: linkObjectKey(THREAD, 3), Body: JSON.stringify(two) }),
      );
      const { findings } = await verify();
      // Each link whose predecessor is not the one it was chained to: 2, 3, and 4 (after 3).
      expect(findings.map((f) => [f.kind, f.subject, f.seq])).toEqual([
        ['broken-link', THREAD, 2],
        ['broken-link', THREAD, 3],
        ['broken-link', THREAD, 4],
      ]);
    });

    it('a link rehashed after its change breaks the next link', async () => {
      const { makeLink } = await import('../../shared/domain/audit-chain.ts');
      const link = await readLink(linkObjectKey(THREAD, 4));
      const forged = makeLink(THREAD, 4, { ...link.entry, actorId: 'someone-else' }, link.prevHash);
      await admin.send(
        new PutObjectCommand({ Bucket: bucket, Key: linkObjectKey(THREAD, 4), Body: JSON.stringify(forged) }),
      );
      const { findings } = await verify();
      expect(findings.map((f) => [f.kind, f.subject, f.seq])).toEqual([
        ['broken-link', THREAD, 5],
        ['table-mismatch', THREAD, 4],
      ]);
    });

    it('a table entry overwritten after it was shipped', async () => {
      const { Items = [] } = await db.client.send(
        new QueryCommand({
          TableName: db.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': `AUDIT#${PRAC}` },
        }),
      );
      const [item] = Items;
      await db.client.send(new PutCommand({ TableName: db.tableName, Item: { ...item, actorId: 'nobody' } }));
      const { findings } = await verify();
      expect(findings.map((f) => [f.kind, f.subject, f.seq])).toEqual([['table-mismatch', PRAC, 1]]);
    });

    it('an entry never shipped, once past the grace period', async () => {
      await writeEntries(THREAD, 1);
      expect((await verify({ now: new Date('2026-05-14T08:05:00.000Z') })).findings).toEqual([]);
      const { findings } = await verify({ now: new Date('2026-05-14T09:00:00.000Z') });
      expect(findings.map((f) => [f.kind, f.subject])).toEqual([['unshipped', THREAD]]);
    });
  });

  it('the shipper may only create links: no delete, no overwrite without If-None-Match, no table entry', async () => {
    const s3 = createS3Client({ endpoint: s3Local.url, region: REGION });
    const enforcement = iamEnforcement({
      account: { region: REGION, accountId: '000000000000' },
      resources: serviceResources({
        partition: 'aws',
        region: REGION,
        accountId: '000000000000',
        tableName: db.tableName,
        idempotencyTableName: 'x',
        busName: 'patient-messaging',
        senderAddress: 'no-reply@patient-messaging.local',
        configurationSetName: 'x',
        auditBucketName: bucket,
      }),
      declarations: FUNCTIONS,
    });
    enforcement.decorate('s3', s3, shipperDeclaration);
    const key = linkObjectKey(THREAD, 1);
    await expect(s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }))).rejects.toThrow(
      /s3:DeleteObject/,
    );
    await expect(s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: '{}' }))).rejects.toThrow(
      /s3:PutObject/,
    );
    await expect(
      s3.send(new CopyObjectCommand({ Bucket: bucket, Key: key, CopySource: `${bucket}/${key}` })),
    ).rejects.toThrow(/s3:CopyObject/);
    const rawDb = createDynamoDbClient({ endpoint: dynamoDbEndpoint(), region: REGION });
    enforcement.decorate('dynamodb', rawDb, shipperDeclaration);
    await expect(
      documentClientOver(rawDb).send(
        new PutCommand({
          TableName: db.tableName,
          Item: { ...auditKeys.entry(`AUDIT#${THREAD}`, 'x', 'y') },
        }),
      ),
    ).rejects.toThrow(/not authorized/);
  });
});

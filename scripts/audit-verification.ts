/**
 * The check behind `npm run audit:verify` (scripts/audit-verify.ts), also called
 * by the tests: reads the shipped chains from the audit bucket, recomputes every
 * link (shared/domain/audit-chain.ts verifyChain) and, when given the table,
 * compares them with the chain heads and the table's entries.
 *
 * Findings: `gap` (a sequence number without object, including after the last
 * object when the head says more were shipped), `altered` (content ≠ hash),
 * `broken-link` (prevHash ≠ the previous hash, or a link in another's place),
 * `unshipped` (a table entry older than the grace period with no link) and
 * `table-mismatch` (a table entry that differs from its shipped copy).
 *
 * Cost: one LIST per 1,000 objects, one GET per object, and per subject one
 * GetItem (head) and one Query page per 1 MB of entries.
 */
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '../shared/db/client.ts';
import { auditKeys } from '../shared/db/keys.ts';
import { queryAll } from '../shared/db/query-all.ts';
import {
  type ChainFinding,
  type ChainLink,
  type ChainSubject,
  canonicalJson,
  parseLinkObjectKey,
  partitionOfSubject,
  subjectObjectPrefix,
  verifyChain,
} from '../shared/domain/audit-chain.ts';
import { shippedEntryOf } from '../shared/use-cases/audit-shipping.ts';

export interface VerifyOptions {
  s3: S3Client;
  bucket: string;
  /** The table: heads and entries compared too (omit to check the bucket alone). */
  db?: Db;
  /** One subject (`THREAD#<id>` or `PRAC#<id>`); default every subject in the bucket. */
  subject?: ChainSubject;
  now?: Date;
  /** Table entries younger than this may not be shipped yet (default 15 minutes). */
  graceMinutes?: number;
}

export interface VerifyReport {
  subjects: number;
  links: number;
  tableEntries: number;
  findings: ChainFinding[];
}

const listKeys = async (s3: S3Client, bucket: string, prefix: string): Promise<string[]> => {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        ...(token && { ContinuationToken: token }),
      }),
    );
    for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
};

/** A link as stored; unreadable JSON becomes a link whose hash cannot match (reported `altered`). */
const readLink = async (s3: S3Client, bucket: string, key: string): Promise<ChainLink> => {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const text = (await object.Body?.transformToString()) ?? '';
  try {
    return JSON.parse(text) as ChainLink;
  } catch {
    return { subject: '', seq: -1, entry: {} as ChainLink['entry'], prevHash: '', hash: 'unreadable' };
  }
};

const inBatches = async <T, R>(
  items: readonly T[],
  size: number,
  run: (item: T) => Promise<R>,
): Promise<R[]> => {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += size)
    results.push(...(await Promise.all(items.slice(i, i + size).map(run))));
  return results;
};

const tableEntries = (db: Db, subject: ChainSubject): Promise<Array<Record<string, unknown>>> =>
  queryAll(
    db,
    {
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': partitionOfSubject(subject) },
      ConsistentRead: true,
    },
    (item) => item,
  );

export const verifyAuditArchive = async (options: VerifyOptions): Promise<VerifyReport> => {
  const { s3, bucket, db } = options;
  const now = options.now ?? new Date();
  const graceMs = (options.graceMinutes ?? 15) * 60_000;
  const keys = await listKeys(s3, bucket, options.subject ? subjectObjectPrefix(options.subject) : 'audit/');
  const bySubject = new Map<ChainSubject, Map<number, string>>();
  if (options.subject) bySubject.set(options.subject, new Map());
  for (const key of keys) {
    const parsed = parseLinkObjectKey(key);
    if (!parsed) continue;
    const seqs = bySubject.get(parsed.subject) ?? new Map<number, string>();
    seqs.set(parsed.seq, key);
    bySubject.set(parsed.subject, seqs);
  }

  const report: VerifyReport = { subjects: bySubject.size, links: 0, tableEntries: 0, findings: [] };
  for (const [subject, objectKeys] of bySubject) {
    const entries = [...objectKeys.entries()];
    const links = new Map<number, ChainLink>(
      await inBatches(entries, 16, async ([seq, key]) => [seq, await readLink(s3, bucket, key)] as const),
    );
    report.links += links.size;
    let headSeq: number | null = null;
    if (db) {
      const { Item } = await db.client.send(
        new GetCommand({ TableName: db.tableName, Key: auditKeys.head(subject), ConsistentRead: true }),
      );
      headSeq = Item ? Number(Item.seq) : null;
    }
    const chainFindings = verifyChain(subject, links, headSeq);
    report.findings.push(...chainFindings);
    if (!db) continue;

    // A link already reported altered is not compared again; an entry whose link is missing is put down to
    // a gap first (its number is known, not which entry it held), and only beyond the gaps to `unshipped`.
    const altered = new Set(chainFindings.filter((f) => f.kind === 'altered').map((f) => f.seq));
    let unexplained = chainFindings.filter((f) => f.kind === 'gap').length;
    const shipped = new Map([...links.values()].map((link) => [link.entry?.entryKey, link]));
    for (const item of await tableEntries(db, subject)) {
      const entry = shippedEntryOf(item)?.entry;
      if (!entry) continue;
      report.tableEntries += 1;
      const link = shipped.get(entry.entryKey);
      if (!link) {
        if (unexplained > 0) {
          unexplained -= 1;
        } else if (now.getTime() - Date.parse(entry.at) > graceMs) {
          report.findings.push({
            kind: 'unshipped',
            subject,
            entryKey: entry.entryKey,
            detail: 'table entry with no link in the bucket',
          });
        }
      } else if (!altered.has(link.seq) && canonicalJson(link.entry) !== canonicalJson(entry)) {
        report.findings.push({
          kind: 'table-mismatch',
          subject,
          seq: link.seq,
          entryKey: entry.entryKey,
          detail: 'the table entry differs from its shipped copy',
        });
      }
    }
  }
  return report;
};

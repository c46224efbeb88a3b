/**
 * The tamper-evident copy of the audit trail (docs/adr/0012-audit-object-lock.md):
 * each audit entry, once committed to the table, is shipped from the table's
 * stream to an S3 bucket under Object Lock (compliance mode) as one object per
 * subject and sequence number, chained per subject:
 *
 *   hash(n) = sha256(canonicalJson({ subject, seq: n, entry, prevHash: hash(n − 1) }))
 *
 * with `prevHash` of the first link = GENESIS_HASH. Altering an entry changes its
 * hash; removing one leaves a gap in the sequence; reordering breaks the links.
 * Pure rules here; the shipping in shared/use-cases/audit-shipping.ts, the check
 * in scripts/audit-verify.ts.
 */
import { createHash } from 'node:crypto';
import { AUDIT_PK_PREFIX } from '../db/keys.ts';

export const GENESIS_HASH = '0'.repeat(64);

/** Width of the sequence number in object keys: lexicographic order = sequence order. */
const SEQ_DIGITS = 12;

/** A subject as its table partition names it, without the prefix: `THREAD#<id>` or `PRAC#<id>`. */
export type ChainSubject = string;

/** The entry as shipped: ids, verbs and times only (what the table item holds, without keys and TTL). */
export interface ShippedEntry {
  /** The entry's table sort key (`<at>#<ulid>`): its identity. */
  entryKey: string;
  action: string;
  actorRole: string;
  actorId: string;
  /** An assistant's entry: the practitioner they acted for (absent otherwise, so older hashes hold). */
  actorOnBehalfOf?: string;
  at: string;
  requestId: string;
  objects: Record<string, string>;
  details?: Record<string, string | number | boolean>;
}

/** One object of the chain. */
export interface ChainLink {
  subject: ChainSubject;
  seq: number;
  entry: ShippedEntry;
  prevHash: string;
  hash: string;
}

/** JSON with object keys sorted at every level: the same value always gives the same bytes. */
export const canonicalJson = (value: unknown): string => {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
};

export const linkHash = (link: Omit<ChainLink, 'hash'>): string =>
  createHash('sha256')
    .update(
      canonicalJson({ subject: link.subject, seq: link.seq, entry: link.entry, prevHash: link.prevHash }),
    )
    .digest('hex');

export const makeLink = (
  subject: ChainSubject,
  seq: number,
  entry: ShippedEntry,
  prevHash: string,
): ChainLink => {
  const link = { subject, seq, entry, prevHash };
  return { ...link, hash: linkHash(link) };
};

/** The chain subject of an audit partition key (`AUDIT#THREAD#x` → `THREAD#x`), or null. */
export const subjectOfPartition = (pk: string): ChainSubject | null =>
  pk.startsWith(AUDIT_PK_PREFIX) && pk.length > AUDIT_PK_PREFIX.length
    ? pk.slice(AUDIT_PK_PREFIX.length)
    : null;

export const partitionOfSubject = (subject: ChainSubject): string => `${AUDIT_PK_PREFIX}${subject}`;

/**
 * Object key of a link: `audit/<THREAD|PRAC>/<id>/<seq, 12 digits>.json`. Ids are
 * ULIDs or Cognito subs (no `/`), so a subject is one folder; listing a folder in
 * key order reads its chain in order.
 */
export const linkObjectKey = (subject: ChainSubject, seq: number): string => {
  const [kind, ...rest] = subject.split('#');
  return `audit/${kind}/${rest.join('#')}/${String(seq).padStart(SEQ_DIGITS, '0')}.json`;
};

/** The subject and sequence number of an object key, or null for a key this module did not make. */
export const parseLinkObjectKey = (key: string): { subject: ChainSubject; seq: number } | null => {
  const match = /^audit\/(THREAD|PRAC)\/([^/]+)\/(\d{12})\.json$/.exec(key);
  if (!match) return null;
  return { subject: `${match[1]}#${match[2]}`, seq: Number(match[3]) };
};

export const subjectObjectPrefix = (subject: ChainSubject): string => {
  const [kind, ...rest] = subject.split('#');
  return `audit/${kind}/${rest.join('#')}/`;
};

export type ChainFindingKind =
  /** A sequence number with no object (deleted, or never shipped while the head moved past it). */
  | 'gap'
  /** The object's hash is not the hash of its content: the entry (or its seq, subject or prevHash) was changed. */
  | 'altered'
  /** The object's prevHash is not the previous object's hash (reordered or replaced links). */
  | 'broken-link'
  /** A table entry older than the grace period that is not in the chain: not shipped. */
  | 'unshipped'
  /** A table entry that differs from its shipped copy: the table item was overwritten. */
  | 'table-mismatch';

export interface ChainFinding {
  kind: ChainFindingKind;
  subject: ChainSubject;
  seq?: number;
  entryKey?: string;
  detail: string;
}

/**
 * Checks one subject's chain: `links` by the sequence number of their object key
 * (a link's content may claim another), `headSeq` the last number the shipper
 * gave out (null if unknown). Reports each problem once: a link after a gap is
 * not also reported as a broken link.
 */
export const verifyChain = (
  subject: ChainSubject,
  links: ReadonlyMap<number, ChainLink>,
  headSeq: number | null,
): ChainFinding[] => {
  const findings: ChainFinding[] = [];
  const seqs = [...links.keys()].sort((a, b) => a - b);
  const last = Math.max(headSeq ?? 0, seqs.at(-1) ?? 0);
  let previous: ChainLink | null = null;
  let previousSeq = 0;
  for (let seq = 1; seq <= last; seq++) {
    const link = links.get(seq);
    if (!link) {
      findings.push({ kind: 'gap', subject, seq, detail: `no object for sequence number ${seq}` });
      previous = null;
      continue;
    }
    const { hash, ...content } = link;
    if (linkHash(content) !== hash) {
      findings.push({
        kind: 'altered',
        subject,
        seq,
        entryKey: link.entry?.entryKey,
        detail: 'hash does not match content',
      });
    } else if (link.seq !== seq || link.subject !== subject) {
      findings.push({
        kind: 'broken-link',
        subject,
        seq,
        detail: `object holds ${link.subject} #${link.seq}`,
      });
    } else if (seq === 1 && link.prevHash !== GENESIS_HASH) {
      findings.push({
        kind: 'broken-link',
        subject,
        seq,
        detail: 'first link does not start from the genesis hash',
      });
    } else if (previous && previousSeq === seq - 1 && link.prevHash !== previous.hash) {
      findings.push({
        kind: 'broken-link',
        subject,
        seq,
        detail: 'prevHash is not the previous link’s hash',
      });
    }
    previous = link;
    previousSeq = seq;
  }
  return findings;
};

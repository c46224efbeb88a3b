import { describe, expect, it } from 'vitest';
import {
  type ChainLink,
  canonicalJson,
  GENESIS_HASH,
  linkHash,
  linkObjectKey,
  makeLink,
  parseLinkObjectKey,
  type ShippedEntry,
  subjectOfPartition,
  verifyChain,
} from '../../shared/domain/audit-chain.ts';

const entry = (n: number): ShippedEntry => ({
  entryKey: `2026-05-14T08:00:0${n}.000Z#01J${n}`,
  action: 'message.sent',
  actorRole: 'patient',
  actorId: 'pat-1',
  at: `2026-05-14T08:00:0${n}.000Z`,
  requestId: `req-${n}`,
  objects: { threadId: 't-1', messageId: `m-${n}` },
});

const S = 'THREAD#t-1';
const chain = (count: number): Map<number, ChainLink> => {
  const links = new Map<number, ChainLink>();
  let prev = GENESIS_HASH;
  for (let seq = 1; seq <= count; seq++) {
    const link = makeLink(S, seq, entry(seq), prev);
    links.set(seq, link);
    prev = link.hash;
  }
  return links;
};

describe('the audit hash chain', () => {
  it('canonical JSON does not depend on key order, and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: undefined } })).toBe(
      '{"a":{"d":[1,{"x":1,"y":2}]},"b":1}',
    );
    const a = makeLink(S, 1, entry(1), GENESIS_HASH);
    const reordered = { ...entry(1), objects: { messageId: 'm-1', threadId: 't-1' } };
    expect(makeLink(S, 1, reordered, GENESIS_HASH).hash).toBe(a.hash);
  });

  it('the hash covers the entry, its place (subject, seq) and the previous hash', () => {
    const base = makeLink(S, 2, entry(2), 'a'.repeat(64));
    expect(base.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(linkHash({ ...base, seq: 3 })).not.toBe(base.hash);
    expect(linkHash({ ...base, subject: 'THREAD#t-2' })).not.toBe(base.hash);
    expect(linkHash({ ...base, prevHash: 'b'.repeat(64) })).not.toBe(base.hash);
    expect(linkHash({ ...base, entry: { ...base.entry, actorId: 'x' } })).not.toBe(base.hash);
  });

  it('object keys: per subject, sequence in fixed width, parsed back', () => {
    expect(linkObjectKey('THREAD#01JABC', 7)).toBe('audit/THREAD/01JABC/000000000007.json');
    expect(linkObjectKey('PRAC#dr-1', 12)).toBe('audit/PRAC/dr-1/000000000012.json');
    expect(parseLinkObjectKey('audit/PRAC/dr-1/000000000012.json')).toEqual({
      subject: 'PRAC#dr-1',
      seq: 12,
    });
    expect(parseLinkObjectKey('audit/OTHER/x/000000000001.json')).toBeNull();
    expect(subjectOfPartition('AUDIT#THREAD#t-1')).toBe('THREAD#t-1');
    expect(subjectOfPartition('AUDITHEAD#THREAD#t-1')).toBeNull();
  });

  it('verify: an intact chain has no finding; each tampering is reported once, at its place', () => {
    expect(verifyChain(S, chain(5), 5)).toEqual([]);
    const gap = chain(5);
    gap.delete(3);
    expect(verifyChain(S, gap, 5).map((f) => [f.kind, f.seq])).toEqual([['gap', 3]]);
    const tail = chain(5);
    tail.delete(5);
    expect(verifyChain(S, tail, 5).map((f) => [f.kind, f.seq])).toEqual([['gap', 5]]);
    const altered = chain(5);
    const three = altered.get(3) as ChainLink;
    altered.set(3, { ...three, entry: { ...three.entry, action: 'thread.viewed' } });
    expect(verifyChain(S, altered, 5).map((f) => [f.kind, f.seq])).toEqual([['altered', 3]]);
    const first = chain(2);
    const one = first.get(1) as ChainLink;
    first.set(1, makeLink(S, 1, one.entry, 'f'.repeat(64)));
    expect(verifyChain(S, first, 2).map((f) => [f.kind, f.seq])).toEqual([
      ['broken-link', 1],
      ['broken-link', 2],
    ]);
  });
});

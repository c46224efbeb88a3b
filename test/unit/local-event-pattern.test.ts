import { describe, expect, it } from 'vitest';
import { FUNCTIONS } from '../../functions/catalog.ts';
import { LOCAL_ATTACHMENT_BUCKET } from '../../shared/config.ts';
import { keys } from '../../shared/db/keys.ts';
import { eventRules, resolveRule, streamConsumers } from '../../shared/function-model/triggers.ts';

const RULES = eventRules(FUNCTIONS).map((rule) =>
  resolveRule(rule, { attachments: LOCAL_ATTACHMENT_BUCKET }),
);

import { type EventPatternNode, matchesPattern, validatePattern } from '../../local/event-pattern.ts';

const event = (overrides: Record<string, unknown> = {}) => ({
  version: '0',
  id: 'e-1',
  source: 'agenda',
  'detail-type': 'AppointmentBooked',
  detail: {
    appointmentId: 'a-1',
    motive: 'vaccination',
    tags: ['new', 'child'],
    patient: { firstName: 'Ana' },
  },
  ...overrides,
});

describe('local EventBridge pattern matching', () => {
  it('matches exact values in source and detail-type arrays', () => {
    const pattern = { source: ['agenda'], 'detail-type': ['AppointmentBooked', 'AppointmentCancelled'] };
    expect(matchesPattern(pattern, event())).toBe(true);
    expect(matchesPattern(pattern, event({ 'detail-type': 'AppointmentCancelled' }))).toBe(true);
    expect(matchesPattern(pattern, event({ 'detail-type': 'AppointmentCompleted' }))).toBe(false);
    expect(matchesPattern(pattern, event({ source: 'patient-messaging' }))).toBe(false);
  });

  it('matches nested detail fields, and any element of an array field', () => {
    expect(matchesPattern({ detail: { motive: ['vaccination'] } }, event())).toBe(true);
    expect(matchesPattern({ detail: { patient: { firstName: ['Ana'] } } }, event())).toBe(true);
    expect(matchesPattern({ detail: { patient: { firstName: ['Bob'] } } }, event())).toBe(false);
    expect(matchesPattern({ detail: { tags: ['child'] } }, event())).toBe(true);
    expect(matchesPattern({ detail: { motive: { nested: ['x'] } } }, event())).toBe(false);
  });

  it('never matches a missing field with a value, nor compares loosely', () => {
    expect(matchesPattern({ detail: { missing: ['x'] } }, event())).toBe(false);
    expect(matchesPattern({ detail: { count: ['1'] } }, event({ detail: { count: 1 } }))).toBe(false);
    expect(matchesPattern({ detail: { count: [1] } }, event({ detail: { count: 1 } }))).toBe(true);
    expect(matchesPattern({ detail: { motive: ['x'] } }, event({ detail: undefined }))).toBe(false);
  });

  it('supports prefix, exists and anything-but filters', () => {
    expect(matchesPattern({ detail: { motive: [{ prefix: 'vacc' }] } }, event())).toBe(true);
    expect(matchesPattern({ detail: { motive: [{ prefix: 'cons' }] } }, event())).toBe(false);
    expect(matchesPattern({ detail: { motive: [{ exists: true }] } }, event())).toBe(true);
    expect(matchesPattern({ detail: { missing: [{ exists: false }] } }, event())).toBe(true);
    expect(matchesPattern({ detail: { motive: [{ exists: false }] } }, event())).toBe(false);
    expect(matchesPattern({ detail: { motive: [{ 'anything-but': ['checkup'] }] } }, event())).toBe(true);
    expect(matchesPattern({ detail: { motive: [{ 'anything-but': 'vaccination' }] } }, event())).toBe(false);
  });

  it('refuses patterns it cannot evaluate faithfully', () => {
    expect(() => validatePattern({ source: [] })).toThrow(/empty array/);
    expect(() => validatePattern({ source: 'agenda' })).toThrow(/array or an object/);
    expect(() => validatePattern({ detail: { n: [{ numeric: ['>', 1] }] } })).toThrow(
      /Unsupported content filter/,
    );
    expect(() =>
      validatePattern({ source: ['agenda'], detail: { motive: [{ prefix: 'v' }] } }),
    ).not.toThrow();
  });

  it('accepts every real rule pattern', () => {
    for (const rule of RULES)
      expect(() => validatePattern(rule.pattern as unknown as EventPatternNode)).not.toThrow();
  });

  it("S3's and GuardDuty's rules match the attachments bucket's objects only (the default bus carries every bucket's)", () => {
    const rule = (name: string) => {
      const found = RULES.find((r) => r.name === name);
      if (!found) throw new Error(name);
      return found.pattern as unknown as EventPatternNode;
    };
    const s3 = (bucket: string, key: string) =>
      event({
        source: 'aws.s3',
        'detail-type': 'Object Created',
        detail: { version: '0', bucket: { name: bucket }, object: { key, size: 10 }, reason: 'PutObject' },
      });
    const checker = rule('attachment-uploaded-check');
    expect(
      matchesPattern(checker, s3(LOCAL_ATTACHMENT_BUCKET, 'attachments/01JD8Z0A1B2C3D4E5F6G7H8J9K')),
    ).toBe(true);
    expect(
      matchesPattern(checker, s3('someone-elses-bucket', 'attachments/01JD8Z0A1B2C3D4E5F6G7H8J9K')),
    ).toBe(false);
    expect(
      matchesPattern(checker, s3(LOCAL_ATTACHMENT_BUCKET, 'malware-protection-resource-validation-object')),
    ).toBe(false);
    const scan = (bucket: string) =>
      event({
        source: 'aws.guardduty',
        'detail-type': 'GuardDuty Malware Protection Object Scan Result',
        detail: {
          schemaVersion: '1.0',
          scanStatus: 'COMPLETED',
          resourceType: 'S3_OBJECT',
          s3ObjectDetails: { bucketName: bucket, objectKey: 'attachments/01JD8Z0A1B2C3D4E5F6G7H8J9K' },
          scanResultDetails: { scanResultStatus: 'NO_THREATS_FOUND', threats: null },
        },
      });
    const scanned = rule('attachment-malware-scanned');
    expect(matchesPattern(scanned, scan(LOCAL_ATTACHMENT_BUCKET))).toBe(true);
    expect(matchesPattern(scanned, scan('someone-elses-bucket'))).toBe(false);
  });

  it('a rule limited to a bucket has no detail pattern until a stack names the bucket', () => {
    const unresolved = eventRules(FUNCTIONS).find((r) => r.name === 'attachment-uploaded-check');
    expect(unresolved?.pattern.detail).toBeUndefined();
    expect(unresolved?.objects).toMatchObject({ bucket: 'attachments', keyPrefix: 'attachments/' });
  });
});

describe('the stream functions’ filters (what Lambda’s event source mapping, and the local poller, let through)', () => {
  const filtersOf = (name: string) => {
    const consumer = streamConsumers(FUNCTIONS).find((c) => c.name === name);
    if (!consumer) throw new Error(name);
    return consumer.settings.filters as EventPatternNode[];
  };
  const passes = (name: string, record: object) => filtersOf(name).some((f) => matchesPattern(f, record));
  const S = (value: string) => ({ S: value });

  /** A stream record as Lambda hands it over (the table's view is NEW_IMAGE: a REMOVE has the keys only). */
  const record = (
    eventName: 'INSERT' | 'MODIFY' | 'REMOVE',
    key: { pk: string; sk: string },
    options: { ttl?: boolean; newImage?: Record<string, unknown> } = {},
  ) => ({
    eventID: 'c4ca4238a0b923820dcc509a6f75849b',
    eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'eu-west-3',
    dynamodb: {
      ApproximateCreationDateTime: 2_409_000_000,
      Keys: { pk: S(key.pk), sk: S(key.sk) },
      ...(options.newImage && { NewImage: { pk: S(key.pk), sk: S(key.sk), ...options.newImage } }),
      SequenceNumber: '111',
      SizeBytes: 60,
      StreamViewType: 'NEW_IMAGE',
    },
    ...(options.ttl && { userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' } }),
    eventSourceARN: 'arn:aws:dynamodb:eu-west-3:111111111111:table/patient-messaging-dev/stream/2026',
  });
  const attachment = keys.attachment('01JD8Z0A1B2C3D4E5F6G7H8J9K');

  it('every stream filter is one the local matcher evaluates faithfully', () => {
    for (const consumer of streamConsumers(FUNCTIONS)) {
      for (const filter of consumer.settings.filters) expect(() => validatePattern(filter)).not.toThrow();
    }
  });

  it('the outbox publisher gets the TTL’s deletions of attachment items, and no other deletion', () => {
    expect(passes('outbox-publisher', record('REMOVE', attachment, { ttl: true }))).toBe(true);
    // A delete made by a function (the 24-hour expiry, an erasure): its event is in its own outbox item.
    expect(passes('outbox-publisher', record('REMOVE', attachment))).toBe(false);
    // Another kind's TTL deletion: a message, an outbox item, a due work, an audit entry, a thread.
    for (const key of [
      { pk: 'THREAD#t-1', sk: 'MSG#01JD8Z0A1B2C3D4E5F6G7H8J9N' },
      { pk: 'THREAD#t-1', sk: 'THREAD' },
      keys.outboxEvent('01JD8Z0A1B2C3D4E5F6G7H8J9M'),
      { pk: 'DUE#attachment-expiry-01JD8Z0A1B2C3D4E5F6G7H8J9K', sk: 'DUE' },
      { pk: 'AUDIT#THREAD#t-1', sk: '2026-05-14T08:00:00.000Z#01JD8Z0A1B2C3D4E5F6G7H8J9P' },
      { pk: 'ATTACH#01JD8Z0A1B2C3D4E5F6G7H8J9K', sk: 'OTHER' },
    ]) {
      expect(passes('outbox-publisher', record('REMOVE', key, { ttl: true })), key.pk).toBe(false);
    }
    // An attachment's writes (its name, type, owner): never.
    const image = { entity: S('Attachment'), fileName: S('compte-rendu.pdf') };
    expect(passes('outbox-publisher', record('INSERT', attachment, { newImage: image }))).toBe(false);
    expect(passes('outbox-publisher', record('MODIFY', attachment, { newImage: image, ttl: true }))).toBe(
      false,
    );
    // What it always got: new outbox items.
    const outbox = keys.outboxEvent('01JD8Z0A1B2C3D4E5F6G7H8J9M');
    expect(
      passes('outbox-publisher', record('INSERT', outbox, { newImage: { entity: S('OutboxEvent') } })),
    ).toBe(true);
  });

  it('the audit shipper does not get an attachment’s deletion (one reader per record kind)', () => {
    expect(passes('audit-shipper', record('REMOVE', attachment, { ttl: true }))).toBe(false);
  });
});

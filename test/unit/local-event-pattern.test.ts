import { describe, expect, it } from 'vitest';
import { FUNCTIONS } from '../../functions/catalog.ts';
import { LOCAL_ATTACHMENT_BUCKET } from '../../shared/config.ts';
import { eventRules, resolveRule } from '../../shared/function-model/triggers.ts';

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

import { describe, expect, it } from 'vitest';
import { FUNCTIONS } from '../../functions/catalog.ts';
import { eventRules } from '../../shared/function-model/triggers.ts';

const RULES = eventRules(FUNCTIONS);

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
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { localDate, startOfNextLocalDay } from '../../shared/domain/calendar.ts';

const PARIS = 'Europe/Paris';
const next = (instant: string, zone = PARIS) => startOfNextLocalDay(new Date(instant), zone).toISOString();

describe('startOfNextLocalDay — Europe/Paris around midnight', () => {
  it('one minute before midnight (CET, UTC+1): the next day starts a minute later', () => {
    expect(next('2026-01-15T22:59:00.000Z')).toBe('2026-01-15T23:00:00.000Z');
  });

  it('exactly at midnight: that instant is already the new day, so the next one is 24 h later', () => {
    expect(localDate(new Date('2026-01-15T23:00:00.000Z'), PARIS)).toBe('2026-01-16');
    expect(next('2026-01-15T23:00:00.000Z')).toBe('2026-01-16T23:00:00.000Z');
  });

  it('in summer (CEST, UTC+2) local midnight is 22:00 UTC', () => {
    expect(next('2026-05-14T08:00:00.000Z')).toBe('2026-05-14T22:00:00.000Z');
    expect(next('2026-05-14T21:59:59.999Z')).toBe('2026-05-14T22:00:00.000Z');
  });

  it('late evening UTC that is already tomorrow in Paris', () => {
    // 22:30 UTC on 14 May is 00:30 on 15 May in Paris.
    expect(next('2026-05-14T22:30:00.000Z')).toBe('2026-05-15T22:00:00.000Z');
  });
});

describe('startOfNextLocalDay — daylight-saving changes (last Sundays of March and October)', () => {
  it('the evening before spring forward (Sat 28 March 2026, CET): next midnight is 23:00 UTC', () => {
    expect(next('2026-03-28T22:59:00.000Z')).toBe('2026-03-28T23:00:00.000Z');
  });

  it('Sunday 29 March 2026 is 23 hours long: from its midnight the next one is 23 h later', () => {
    expect(next('2026-03-28T23:00:00.000Z')).toBe('2026-03-29T22:00:00.000Z');
    // 01:59 CET, then the clocks jump from 02:00 to 03:00
    expect(next('2026-03-29T00:59:00.000Z')).toBe('2026-03-29T22:00:00.000Z');
    expect(next('2026-03-29T01:00:00.000Z')).toBe('2026-03-29T22:00:00.000Z');
    const hours =
      (Date.parse('2026-03-29T22:00:00.000Z') - Date.parse('2026-03-28T23:00:00.000Z')) / 3_600_000;
    expect(hours).toBe(23);
  });

  it('Sunday 25 October 2026 is 25 hours long: its end is 23:00 UTC (CET again)', () => {
    expect(next('2026-10-24T21:59:00.000Z')).toBe('2026-10-24T22:00:00.000Z');
    expect(next('2026-10-24T22:00:00.000Z')).toBe('2026-10-25T23:00:00.000Z');
    // the repeated hour 02:00–03:00 (first as CEST, then as CET)
    expect(next('2026-10-25T00:30:00.000Z')).toBe('2026-10-25T23:00:00.000Z');
    expect(next('2026-10-25T01:30:00.000Z')).toBe('2026-10-25T23:00:00.000Z');
    const hours =
      (Date.parse('2026-10-25T23:00:00.000Z') - Date.parse('2026-10-24T22:00:00.000Z')) / 3_600_000;
    expect(hours).toBe(25);
  });

  it('a zone where midnight itself is skipped (America/Santiago, 6 Sept 2026): the day starts at 01:00', () => {
    const start = startOfNextLocalDay(new Date('2026-09-05T12:00:00.000Z'), 'America/Santiago');
    expect(localDate(start, 'America/Santiago')).toBe('2026-09-06');
    expect(localDate(new Date(start.getTime() - 1), 'America/Santiago')).toBe('2026-09-05');
    expect(
      new Intl.DateTimeFormat('en-GB', {
        timeZone: 'America/Santiago',
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      }).format(start),
    ).toBe('01:00');
  });
});

describe('startOfNextLocalDay — properties', () => {
  const zones = [
    'Europe/Paris',
    'America/Santiago',
    'Australia/Lord_Howe', // 30-minute DST shift
    'Asia/Kolkata', // +05:30
    'Pacific/Chatham', // +12:45 / +13:45
    'America/St_Johns', // -03:30, DST
    'Pacific/Kiritimati', // +14
    'UTC',
  ];
  const instant = fc.date({
    min: new Date('2025-01-01T00:00:00.000Z'),
    max: new Date('2028-12-31T00:00:00.000Z'),
    noInvalidDate: true,
  });

  it('is later, falls on the next local date, and the instant just before is still the same day', () => {
    fc.assert(
      fc.property(instant, fc.constantFrom(...zones), (at, zone) => {
        const start = startOfNextLocalDay(at, zone);
        const today = localDate(at, zone);
        expect(start.getTime()).toBeGreaterThan(at.getTime());
        expect(localDate(start, zone) > today).toBe(true);
        expect(localDate(new Date(start.getTime() - 1), zone)).toBe(today);
        // never more than 26 h away (the longest local day)
        expect(start.getTime() - at.getTime()).toBeLessThanOrEqual(26 * 3_600_000);
      }),
      { numRuns: 400 },
    );
  });
});

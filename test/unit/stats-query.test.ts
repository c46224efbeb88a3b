/**
 * GET /v1/practitioner/stats?from&to (SPEC 11.5): a refusal for any bad day, never a throw. The fuzz suite
 * found `?to=1e%2B308` answering 500: zod runs a string's refinements even after its pattern failed, and
 * `new Date('1e+308T00:00:00Z').toISOString()` throws.
 */
import { describe, expect, it } from 'vitest';
import { MAX_STATS_DAYS, statsQuerySchema } from '../../shared/http/practitioner-schemas.ts';

describe('the stats query', () => {
  it.each([
    { to: '1e+308' },
    { from: '1e+308', to: '2026-01-01' },
    { from: 'abc', to: 'NaN' },
    { from: '2026-02-30', to: '2026-03-01' },
    { from: '2026-03-02', to: '2026-03-01' },
    {},
  ])('refuses %j with issues instead of throwing', (query) => {
    const result = statsQuerySchema.safeParse(query);
    expect(result.success).toBe(false);
    expect(result.error?.issues.length).toBeGreaterThan(0);
  });

  it(`takes a range of at most ${MAX_STATS_DAYS} days`, () => {
    expect(statsQuerySchema.safeParse({ from: '2026-01-01', to: '2026-12-31' }).success).toBe(true);
    expect(statsQuerySchema.safeParse({ from: '2025-01-01', to: '2026-12-31' }).success).toBe(false);
  });
});

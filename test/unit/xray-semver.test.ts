/** The Lambda bundles' stand-in for semver.gte (shared/runtime/xray-semver.ts) orders versions as semver does. */
import { describe, expect, it } from 'vitest';
// @ts-expect-error semver ships no types, and @types/semver is not a dependency.
import semverGte from '../../node_modules/semver/functions/gte.js';
import { gte } from '../../shared/runtime/xray-semver.ts';

const VERSIONS = [
  '2.7.15',
  '2.7.14',
  '2.7.16',
  '2.8.0',
  '3.0.0',
  '1.99.99',
  '2.7.15-beta.1',
  '2.7.15-alpha',
  'v2.7.15',
  '2.10.0',
  '2.9.9',
];

describe('xray-semver gte', () => {
  it('agrees with semver.gte on every pair of plain and pre-release versions', () => {
    for (const a of VERSIONS) {
      for (const b of VERSIONS) expect(gte(a, b), `${a} >= ${b}`).toBe(semverGte(a, b));
    }
  });
});

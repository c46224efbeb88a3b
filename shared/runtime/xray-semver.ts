/**
 * Lambda bundles only: infra/bundling.ts has esbuild put this module in place of
 * `semver` (docs/adr/0006-bundle-size.md). The X-Ray SDK under the Powertools
 * Tracer requires the whole of semver (~28 KB: ranges, comparators, every
 * function) for one call, `semver.gte`, in its AWS SDK v2 patcher
 * (aws-xray-sdk-core/dist/lib/patchers/aws_p.js), which we never call: here is
 * that function, semver's own, without the rest. Nothing else in a bundle
 * imports semver (the bundle test checks that only this module and the files it
 * reaches are bundled).
 */
// A relative path: the alias would rewrite `semver/…` to this very module.
// @ts-expect-error semver ships no types, and @types/semver is not a dependency.
import gte from '../../node_modules/semver/functions/gte.js';

export { gte };

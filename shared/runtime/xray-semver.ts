/**
 * Lambda bundles only: infra/bundling.ts has esbuild put this module in place of
 * `semver` (docs/adr/0006-bundle-size.md). The X-Ray SDK under the Powertools
 * Tracer requires the whole of semver for one call, `semver.gte(awssdk.VERSION,
 * minVersion)`, in its AWS SDK v2 patcher (aws-xray-sdk-core/dist/lib/patchers/aws_p.js),
 * which we never call. semver's own `gte` still drags its parser and regexes
 * (~9 KB) into every bundle: here is the comparison for plain `x.y.z[-pre]`
 * versions (what that patcher compares), without them. Nothing else in a
 * bundle imports semver (the bundle test checks it).
 */
const parse = (version: string) => {
  const [core = '', pre] = version.trim().replace(/^v/, '').split(/[-+]/, 2);
  return { parts: core.split('.').map((n) => Number.parseInt(n, 10) || 0), pre };
};

/** a ≥ b, as semver orders release versions (a pre-release sorts before its release). */
export const gte = (a: string, b: string): boolean => {
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < 3; i++) {
    const d = (x.parts[i] ?? 0) - (y.parts[i] ?? 0);
    if (d !== 0) return d > 0;
  }
  if (x.pre === undefined || y.pre === undefined) return x.pre === undefined;
  return x.pre >= y.pre;
};

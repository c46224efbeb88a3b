/**
 * How every Lambda is bundled (docs/adr/0006-bundle-size.md), in one place: the
 * CDK wrapper (infra/constructs/service-function.ts) passes these to esbuild
 * through NodejsFunction, and the bundle test (test/infra/bundles.test.ts) and
 * `npm run bench` build with `lambdaBuildOptions`, the same build through
 * esbuild's API, so what they measure is what is deployed.
 */
import { join } from 'node:path';
import type { BuildOptions } from 'esbuild';
import { sdkSchemasPlugin } from './sdk-schemas-plugin.ts';

/** A function bundle above this fails the infra tests (minified index.mjs, source map aside). */
export const BUNDLE_LIMIT_BYTES = 500 * 1024;

export const LAMBDA_TARGET = 'node22';

/** ESM output still meets CommonJS dependencies that call require(): give them one. */
export const LAMBDA_BANNER =
  "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

/** The ESM builds of @aws-sdk/* and @smithy/* tree-shake; their CommonJS builds do not. */
export const LAMBDA_MAIN_FIELDS = ['module', 'main'];

/**
 * Packages replaced in Lambda bundles only, by a module of this repository
 * (paths from the repository root).
 *
 * The SDK's default credential chain (SSO, ini files, credential processes, web
 * identity, container and instance metadata, with the STS/SSO clients they
 * embed: ~130 KB of every bundle) only ever reaches its first link in Lambda,
 * where the execution role's credentials are in the environment: that link alone.
 */
export const LAMBDA_ALIASES: Readonly<Record<string, string>> = {
  '@aws-sdk/credential-provider-node': './shared/runtime/lambda-credentials.ts',
  semver: './shared/runtime/xray-semver.ts',
  '@smithy/core/event-streams': './shared/runtime/no-event-streams.ts',
};

/** The aliases with absolute paths, whatever esbuild's working directory. */
export const lambdaAliases = (repoRoot: string): Record<string, string> =>
  Object.fromEntries(Object.entries(LAMBDA_ALIASES).map(([from, to]) => [from, join(repoRoot, to)]));

/**
 * Node loads the source map of every module at startup under --enable-source-maps
 * (set on every function for readable stack traces): a map without the sources
 * content is a third of the size and carries all a stack trace needs.
 */
export const LAMBDA_SOURCES_CONTENT = false;

/** The deployed build through esbuild's API, for the bundle test and the bench. */
export const lambdaBuildOptions = (repoRoot: string): BuildOptions => ({
  bundle: true,
  platform: 'node',
  target: LAMBDA_TARGET,
  format: 'esm',
  minify: true,
  treeShaking: true,
  mainFields: LAMBDA_MAIN_FIELDS,
  banner: { js: LAMBDA_BANNER },
  alias: lambdaAliases(repoRoot),
  sourcemap: true,
  sourcesContent: LAMBDA_SOURCES_CONTENT,
  plugins: [sdkSchemasPlugin],
});

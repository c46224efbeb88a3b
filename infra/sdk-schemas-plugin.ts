/**
 * An esbuild plugin for the AWS SDK v3 clients' generated schemas
 * (`@aws-sdk/client-*\/dist-es/schemas/schemas_0.js`), docs/adr/0006-bundle-size.md.
 *
 * Their trait objects use computed keys naming module constants
 * (`{ [_h]: ["POST", "/v2/email/outbound-emails", 200] }` with `const _h = "http"`):
 * esbuild cannot prove a computed key free of side effects, so it keeps every
 * schema of the service, used or not (the SESv2 client: ~48 KB, for SendEmail).
 * This rewrites those keys to the string literals the constants hold — the code
 * generator's own fix, pending upstream (aws-sdk-js-v3 #7607, smithy-typescript
 * #1889) — so the schemas no command reaches are dropped. Same values, same
 * objects: only the spelling of the keys changes.
 */
import { readFile } from 'node:fs/promises';
import type { Plugin } from 'esbuild';

export const SDK_SCHEMAS_FILE =
  /[\\/]@aws-sdk[\\/]client-[^\\/]+[\\/]dist-es[\\/]schemas[\\/]schemas_\d+\.js$/;

/** `const _x = "…";` at the top of the module: the string store the keys refer to. */
const STRING_CONSTANT = /^const (_[A-Za-z0-9_]+) = ("(?:[^"\\]|\\.)*");$/gm;

export const literalSchemaKeys = (source: string): string => {
  const strings = new Map<string, string>();
  for (const [, name, literal] of source.matchAll(STRING_CONSTANT))
    strings.set(name as string, literal as string);
  // `[_x]:` only where _x is one of those constants; anything else is left as it is.
  return source.replace(/\[(_[A-Za-z0-9_]+)\]:/g, (key, name: string) => {
    const literal = strings.get(name);
    return literal === undefined ? key : `${literal}:`;
  });
};

export const sdkSchemasPlugin: Plugin = {
  name: 'sdk-schemas-literal-keys',
  setup(build) {
    build.onLoad({ filter: SDK_SCHEMAS_FILE }, async ({ path }) => ({
      contents: literalSchemaKeys(await readFile(path, 'utf8')),
      loader: 'js',
    }));
  },
};

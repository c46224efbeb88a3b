/**
 * Loads the Lambda handlers the local stack serves: `handler` exported by
 * functions/<name>/handler.ts, imported lazily (after the Lambda environment is set,
 * because handlers build their SDK clients at module load). Injected handlers
 * (tests, fixtures) take precedence over files.
 *
 * Missing files fail startup with one error listing all of them, unless
 * `allowMissing` is set: then a missing HTTP function answers 501 and a missing
 * event/schedule target throws (so the bus retries and dead-letters).
 */
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';

/** Any Lambda handler (API, EventBridge, scheduled); `never` accepts every event type. */
export type LambdaHandler = (event: never, context: Context) => unknown;
export type HandlerOverrides = Readonly<Record<string, LambdaHandler>>;

export interface FunctionUse {
  name: string;
  kind: 'http' | 'event';
  /** For the error message: "route GET /v1/...", "rule x", "schedule y". */
  usedBy: string;
}

export class HandlerLoadError extends Error {
  override readonly name = 'HandlerLoadError';
}

export const handlerPath = (functionsDir: string, name: string): string =>
  join(functionsDir, name, 'handler.ts');

const notImplementedHttp =
  (file: string): LambdaHandler =>
  async () => ({
    statusCode: 501,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ error: { code: 'NOT_IMPLEMENTED', message: `${file} does not exist yet` } }),
  });

const notImplementedEvent =
  (file: string): LambdaHandler =>
  async () => {
    throw new Error(`${file} does not exist yet`);
  };

/** Env fingerprint the function modules were first imported with (module cache is per process). */
let importedWithEnv: string | undefined;

export interface LoadOptions {
  functionsDir: string;
  overrides?: HandlerOverrides;
  allowMissing?: boolean;
  /** The Lambda environment those modules will capture; must not change within a process. */
  envFingerprint: string;
  onMissing?: (file: string, usedBy: string[]) => void;
}

export const loadHandlers = async (
  uses: readonly FunctionUse[],
  options: LoadOptions,
): Promise<Map<string, LambdaHandler>> => {
  const byName = new Map<string, FunctionUse[]>();
  for (const use of uses) byName.set(use.name, [...(byName.get(use.name) ?? []), use]);

  const handlers = new Map<string, LambdaHandler>();
  const missing: string[] = [];
  const toImport: Array<{ name: string; file: string }> = [];
  for (const [name, used] of byName) {
    const override = options.overrides?.[name];
    if (override) {
      handlers.set(name, override);
      continue;
    }
    const file = handlerPath(options.functionsDir, name);
    const shown = relative(process.cwd(), file);
    if (existsSync(file)) {
      toImport.push({ name, file });
      continue;
    }
    const usedBy = used.map((u) => u.usedBy);
    if (options.allowMissing) {
      options.onMissing?.(shown, usedBy);
      handlers.set(
        name,
        used.some((u) => u.kind === 'http') ? notImplementedHttp(shown) : notImplementedEvent(shown),
      );
    } else {
      missing.push(`  - ${shown} (${usedBy.join('; ')})`);
    }
  }
  if (missing.length > 0) {
    throw new HandlerLoadError(
      `Missing handler files:\n${missing.join('\n')}\n` +
        'Create them, inject handlers, or set LOCAL_ALLOW_MISSING_HANDLERS=1 to serve 501 for them.',
    );
  }

  if (toImport.length > 0) {
    if (importedWithEnv !== undefined && importedWithEnv !== options.envFingerprint) {
      throw new HandlerLoadError(
        'Function modules were already imported in this process with another Lambda environment ' +
          '(table, endpoints); their SDK clients would talk to the old one. Start one stack per process / test file.',
      );
    }
    importedWithEnv = options.envFingerprint;
  }
  const problems: string[] = [];
  await Promise.all(
    toImport.map(async ({ name, file }) => {
      const shown = relative(process.cwd(), file);
      try {
        const module = (await import(pathToFileURL(file).href)) as { handler?: unknown };
        if (typeof module.handler !== 'function') {
          problems.push(`  - ${shown} does not export a "handler" function`);
          return;
        }
        handlers.set(name, module.handler as LambdaHandler);
      } catch (error) {
        problems.push(
          `  - ${shown} failed to load: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }),
  );
  if (problems.length > 0) throw new HandlerLoadError(`Broken handler files:\n${problems.sort().join('\n')}`);
  return handlers;
};

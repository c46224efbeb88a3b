import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type FunctionUse, HandlerLoadError, loadHandlers } from '../../local/functions.ts';

const functionsDir = fileURLToPath(new URL('../support/fixtures/functions', import.meta.url));
const http = (name: string): FunctionUse => ({ name, kind: 'http', usedBy: `route GET /${name}` });
const event = (name: string): FunctionUse => ({ name, kind: 'event', usedBy: `rule r-${name}` });

describe('loading function handlers', () => {
  it('imports functions/<name>/handler.ts lazily', async () => {
    const handlers = await loadHandlers([http('fixture-echo')], { functionsDir, envFingerprint: 'a' });
    const echo = handlers.get('fixture-echo') as (e: unknown) => Promise<{ body: string }>;
    expect(JSON.parse((await echo({ x: 1 })).body)).toEqual({ echoed: { x: 1 } });
  });

  it('fails startup with ONE error listing every missing handler file and who uses it', async () => {
    const error = await loadHandlers([http('missing-a'), event('missing-b'), http('fixture-echo')], {
      functionsDir,
      envFingerprint: 'a',
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HandlerLoadError);
    const message = (error as Error).message;
    expect(message).toMatch(/Missing handler files/);
    expect(message).toMatch(/missing-a\/handler\.ts \(route GET \/missing-a\)/);
    expect(message).toMatch(/missing-b\/handler\.ts \(rule r-missing-b\)/);
    expect(message).not.toMatch(/fixture-echo/);
  });

  it('reports a file without a handler export', async () => {
    await expect(
      loadHandlers([http('fixture-no-export')], { functionsDir, envFingerprint: 'a' }),
    ).rejects.toThrow(/fixture-no-export\/handler\.ts does not export a "handler" function/);
  });

  it('uses injected handlers before files, and stubs missing ones when allowed', async () => {
    const injected = async () => 'injected';
    const handlers = await loadHandlers(
      [http('fixture-echo'), http('missing-http'), event('missing-event')],
      {
        functionsDir,
        envFingerprint: 'a',
        overrides: { 'fixture-echo': injected },
        allowMissing: true,
      },
    );
    expect(handlers.get('fixture-echo')).toBe(injected);
    const stub = handlers.get('missing-http') as () => Promise<{ statusCode: number; body: string }>;
    expect(await stub()).toMatchObject({ statusCode: 501 });
    expect(JSON.parse((await stub()).body).error.code).toBe('NOT_IMPLEMENTED');
    await expect((handlers.get('missing-event') as () => Promise<unknown>)()).rejects.toThrow(
      /does not exist yet/,
    );
  });

  it('refuses to re-import function modules under another Lambda environment in the same process', async () => {
    await expect(loadHandlers([http('fixture-echo')], { functionsDir, envFingerprint: 'b' })).rejects.toThrow(
      /already imported in this process/,
    );
  });
});

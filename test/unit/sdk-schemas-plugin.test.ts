import { describe, expect, it } from 'vitest';
import { literalSchemaKeys, SDK_SCHEMAS_FILE } from '../../infra/sdk-schemas-plugin.ts';

describe('SDK schemas plugin (infra/sdk-schemas-plugin.ts)', () => {
  it('spells computed keys naming string constants as those strings, and nothing else', () => {
    const source = [
      'const _h = "http";',
      'const _hE = "httpError";',
      'const _e = "error";',
      'const _c = "client";',
      'export var SendEmail$ = [9, n0, _SEen,',
      '    { [_h]: ["POST", "/v2/email/outbound-emails", 200] }, () => A$, () => B$',
      '];',
      'export var Err$ = [-3, n0, _E, { [_e]: _c, [_hE]: 400 }, [_m], [0]];',
      'const other = { [_unknown]: 1, [x]: 2 };',
    ].join('\n');
    const out = literalSchemaKeys(source);
    expect(out).toContain('{ "http": ["POST", "/v2/email/outbound-emails", 200] }');
    expect(out).toContain('{ "error": _c, "httpError": 400 }');
    // Values keep their constants; a key that names no string constant is left as it was.
    expect(out).toContain('{ [_unknown]: 1, [x]: 2 }');
    expect(out.split('\n').slice(0, 4)).toEqual(source.split('\n').slice(0, 4));
  });

  it('applies to the generated schema modules of the SDK clients only', () => {
    expect(SDK_SCHEMAS_FILE.test('/r/node_modules/@aws-sdk/client-sesv2/dist-es/schemas/schemas_0.js')).toBe(
      true,
    );
    expect(
      SDK_SCHEMAS_FILE.test('/r/node_modules/@aws-sdk/client-sesv2/dist-es/commands/SendEmailCommand.js'),
    ).toBe(false);
    expect(SDK_SCHEMAS_FILE.test('/r/shared/schemas/schemas_0.js')).toBe(false);
  });
});

import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS } from '../../functions/catalog.ts';
import { STAGES } from '../../infra/config.ts';
import { ENV } from '../../shared/config.ts';
import { parseQuotas } from '../../shared/domain/quotas.ts';
import { isHttp } from '../../shared/function-model/declaration.ts';
import {
  asArray,
  functionLocation,
  resourcesIn,
  roleStatements,
  SYNTH_TIMEOUT,
  type Synthesized,
  shared,
} from './synth.ts';

const synthesized: Partial<Record<'dev' | 'prod', Synthesized>> = {};
beforeAll(() => {
  synthesized.dev = shared('dev');
  synthesized.prod = shared('prod');
}, SYNTH_TIMEOUT * 2);

describe('per-user quotas in the synthesized stacks (docs/adr/0011)', () => {
  for (const stage of ['dev', 'prod'] as const) {
    it(`${stage}: every function gets the stage's QUOTAS, and they parse`, () => {
      const s = synthesized[stage] as Synthesized;
      const functions = resourcesIn(s, 'AWS::Lambda::Function');
      expect(functions.length).toBeGreaterThan(0);
      for (const [id, fn] of functions) {
        const json = fn.Properties.Environment.Variables[ENV.quotas];
        expect(typeof json, id).toBe('string');
        expect(parseQuotas(json), id).toEqual(STAGES[stage].quotas);
      }
    });
  }

  it('each route that counts a quota may write the quota items of its partition, and only those routes', () => {
    const s = synthesized.prod as Synthesized;
    for (const declaration of FUNCTIONS.filter(isHttp).filter((d) => d.limitedBy?.length)) {
      const { template, scope } = functionLocation(s, declaration.name);
      const writes = roleStatements(template, scope).filter(
        (st) => st.Effect === 'Allow' && asArray(st.Action).includes('dynamodb:UpdateItem'),
      );
      const leading = writes.flatMap((st) =>
        asArray(st.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'] ?? []),
      );
      const partition = declaration.role === 'patient' ? 'PAT#*' : 'PRAC#*';
      expect(leading, declaration.name).toContain(partition);
      const kinds = declaration.access.table?.write ?? [];
      expect(kinds, declaration.name).toContain(
        declaration.role === 'patient' ? 'patientQuota' : 'practitionerQuota',
      );
    }
  });

  it('a malformed QUOTAS fails the cold start; an absent one means the dev values', () => {
    expect(() => parseQuotas('{"patientRequestsPerDay": 0}')).toThrow();
    expect(() => parseQuotas('not json')).toThrow();
    expect(parseQuotas(undefined)).toEqual(STAGES.dev.quotas);
  });
});

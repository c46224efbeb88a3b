import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { DEFAULT_REGION, EEA_REGIONS, eeaRegion } from '../../infra/config.ts';
import { createPatientMessaging } from '../../infra/patient-messaging-app.ts';

describe('region: EEA only (patient data and its backups stay in the EEA)', () => {
  it('allows the EEA regions, Paris by default', () => {
    expect(EEA_REGIONS).toContain(DEFAULT_REGION);
    for (const region of EEA_REGIONS) expect(eeaRegion(region)).toBe(region);
    expect([...EEA_REGIONS].sort()).toEqual(
      ['eu-central-1', 'eu-north-1', 'eu-south-1', 'eu-south-2', 'eu-west-1', 'eu-west-3'].sort(),
    );
  });

  it.each([
    'us-east-1', // what the CDK CLI falls back to
    'eu-west-2', // London: outside the EEA
    'eu-central-2', // Zurich: outside the EEA
    'il-central-1',
    'EU-WEST-3',
    '',
    undefined,
  ])('refuses %j with a clear error', (region) => {
    expect(() => eeaRegion(region)).toThrow(/is not allowed: patient data must stay in the EEA.*-c region=/);
  });

  it('fails the synth of the app given -c region=us-east-1, before creating any stack', () => {
    const app = new App({ context: { region: 'us-east-1' } });
    expect(() => createPatientMessaging(app, { stage: 'prod' })).toThrow(
      'Region "us-east-1" is not allowed: patient data must stay in the EEA',
    );
    expect(app.node.children).toHaveLength(0);
  });
});

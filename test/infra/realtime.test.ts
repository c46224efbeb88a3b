/**
 * The Realtime stack (SPEC 11.4, docs/adr/0017-realtime-and-stats.md): the WebSocket API, its `$connect`
 * authorizer, its stage's access logs, and the notifier's grant — execute-api:ManageConnections on this
 * API's connections only.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { REALTIME_ENV } from '../../shared/config.ts';
import {
  asArray,
  type Json,
  oneByPath,
  REALTIME_RULES,
  ROUTES_STACKS,
  resourcesOfType,
  roleStatements,
  SYNTH_TIMEOUT,
  type Synthesized,
  shared,
  templateOf,
} from './synth.ts';

let s: Synthesized;
beforeAll(() => {
  s = shared('dev');
}, SYNTH_TIMEOUT);

const apiLogicalId = () => {
  const [[id]] = resourcesOfType(s.templates.realtime, 'AWS::ApiGatewayV2::Api') as [[string, Json]];
  return id;
};

describe('the WebSocket API', () => {
  it('is one WebSocket API, with only $connect (behind the authorizer) and $disconnect', () => {
    const apis = resourcesOfType(s.templates.realtime, 'AWS::ApiGatewayV2::Api');
    expect(apis).toHaveLength(1);
    expect(apis[0]?.[1].Properties.ProtocolType).toBe('WEBSOCKET');
    const routes = resourcesOfType(s.templates.realtime, 'AWS::ApiGatewayV2::Route').map(
      ([, r]) => r.Properties,
    );
    expect(routes.map((r) => r.RouteKey).sort()).toEqual(['$connect', '$disconnect']);
    const connect = routes.find((r) => r.RouteKey === '$connect');
    expect(connect.AuthorizationType).toBe('CUSTOM');
    const [authorizerId, authorizer] =
      resourcesOfType(s.templates.realtime, 'AWS::ApiGatewayV2::Authorizer')[0] ?? [];
    expect(connect.AuthorizerId).toEqual({ Ref: authorizerId });
    expect(authorizer?.Properties).toMatchObject({
      AuthorizerType: 'REQUEST',
      IdentitySource: ['route.request.querystring.token'],
    });
  });

  it('has no API in the Api stack: the HTTP API stays the only one there', () => {
    expect(
      resourcesOfType(s.templates.api, 'AWS::ApiGatewayV2::Api').map(([, a]) => a.Properties.ProtocolType),
    ).toEqual(['HTTP']);
  });

  it('logs every connection and route to an encrypted log group, without frames or tokens', () => {
    const [, stage] = resourcesOfType(s.templates.realtime, 'AWS::ApiGatewayV2::Stage')[0] ?? [];
    const settings = stage?.Properties.AccessLogSettings;
    expect(settings.DestinationArn).toBeDefined();
    const fields = Object.values(JSON.parse(settings.Format)) as string[];
    expect(fields).toContain('$context.connectionId');
    expect(fields.join(' ')).not.toMatch(/body|querystring|token/i);
    expect(stage?.Properties.DefaultRouteSettings).toMatchObject({ ThrottlingRateLimit: expect.any(Number) });
    for (const [, group] of resourcesOfType(s.templates.realtime, 'AWS::Logs::LogGroup')) {
      expect(group.Properties.KmsKeyId).toBeDefined();
    }
  });

  it('gives the authorizer both pools: issuer, app client and JWKS', () => {
    const [, fn] = oneByPath(s.templates.realtime, '/Functions/realtime-authorizer/Function/Resource');
    const pools = JSON.stringify(
      s.realtime.resolve(fn.Properties.Environment.Variables[REALTIME_ENV.authPools]),
    );
    for (const pool of ['patients', 'professionals']) expect(pools).toContain(pool);
    expect(pools).toContain('/.well-known/jwks.json');
    expect(pools).toContain('cognito-idp.');
  });
});

describe('the notifier', () => {
  const scope = '/Consumers/realtime-notify/Handler';

  it('may ManageConnections on this API only, and touches only connections, counters and (reading) grants in the table', () => {
    const statements = roleStatements(s.templates.realtime, scope);
    const manage = statements.filter((st) => asArray(st.Action).includes('execute-api:ManageConnections'));
    expect(manage).toHaveLength(1);
    expect(asArray(manage[0]?.Action)).toEqual(['execute-api:ManageConnections']);
    const resource = JSON.stringify(manage[0]?.Resource);
    expect(resource).toContain(`{"Ref":"${apiLogicalId()}"}`);
    expect(resource).toContain('/dev/*/@connections/*');
    const executeApi = statements
      .flatMap((st) => asArray(st.Action))
      .filter((a) => a.startsWith('execute-api:'));
    expect(executeApi).toEqual(['execute-api:ManageConnections']);
    const partitions = statements
      .flatMap((st) => st.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'] ?? [])
      .sort();
    expect([...new Set(partitions)]).toEqual(['CONN#*', 'DELEGATE#*', 'PAT#*', 'PRAC#*']);
    // The practice's grants are read (who holds `inbox`), never written.
    const onGrants = statements.filter((st) =>
      (st.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'] ?? []).includes('DELEGATE#*'),
    );
    expect(onGrants.length).toBeGreaterThan(0);
    const grantActions = onGrants.flatMap((st) => asArray(st.Action));
    expect(grantActions).toContain('dynamodb:Query');
    for (const write of [
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
      'dynamodb:BatchWriteItem',
    ])
      expect(grantActions).not.toContain(write);
  });

  it("posts to this stage's callback URL, and is fed by its rule with a DLQ and retries", () => {
    const [, fn] = oneByPath(s.templates.realtime, `${scope}/Function/Resource`);
    expect(JSON.stringify(fn.Properties.Environment.Variables[REALTIME_ENV.managementEndpoint])).toContain(
      'execute-api',
    );
    expect(REALTIME_RULES.map((r) => r.target)).toEqual(['realtime-notify']);
    for (const rule of REALTIME_RULES) {
      const [, resource] = oneByPath(s.templates.realtime, `/Rules/${rule.name}/Resource`);
      expect(resource.Properties.EventPattern['detail-type']).toEqual(rule.pattern['detail-type']);
      expect(resource.Properties.Targets[0].DeadLetterConfig?.Arn).toBeDefined();
    }
  });

  it('is the only function allowed to post to connections', () => {
    for (const key of ['api', 'events', ...ROUTES_STACKS] as const) {
      expect(JSON.stringify(templateOf(s, key).toJSON()), key).not.toContain('execute-api:ManageConnections');
    }
  });
});

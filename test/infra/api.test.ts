import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS } from '../../functions/catalog.ts';
import { ACCESS_LOG_FIELDS } from '../../infra/api-stack.ts';
import { STAGES } from '../../infra/config.ts';
import { DEFAULT_BUS_NAME } from '../../shared/config.ts';
import { routeKey } from '../../shared/function-model/declaration.ts';
import { fallbackRoutes } from '../../shared/function-model/triggers.ts';
import {
  oneByPath,
  ROUTES,
  RULES,
  resourcesOfType,
  SCHEDULES,
  SYNTH_TIMEOUT,
  type Synthesized,
  shared,
} from './synth.ts';

let s: Synthesized;
let prod: Synthesized;
beforeAll(() => {
  s = shared('dev');
  prod = shared('prod');
}, SYNTH_TIMEOUT);

describe('HTTP API routes', () => {
  /** Each role also has `ANY /v1/<role>/{proxy+}` → method-not-allowed (405 with Allow, or 404). */
  const FALLBACKS = fallbackRoutes(ROUTES).map(({ path, role }) => ({ method: 'ANY', path, role }));

  it('has one route per ROUTES entry, one greedy ANY per role, and nothing else (no $default)', () => {
    const keys = resourcesOfType(s.templates.api, 'AWS::ApiGatewayV2::Route').map(
      ([, r]) => r.Properties.RouteKey,
    );
    expect(keys.sort()).toEqual([...ROUTES, ...FALLBACKS].map(routeKey).sort());
    expect(FALLBACKS.map(routeKey).sort()).toEqual([
      'ANY /v1/assistant/{proxy+}',
      'ANY /v1/patient/{proxy+}',
      'ANY /v1/practitioner/{proxy+}',
    ]);
    expect(keys).not.toContain('$default');
  });

  it("puts on every route the JWT authorizer of its role's user pool: professionals' for practitioner and assistant routes", () => {
    const [patientsId] = oneByPath(s.templates.api, '/HttpApi/CognitoJwtAuthorizer/Resource');
    const [professionalsId] = oneByPath(s.templates.api, '/HttpApi/ProfessionalsJwtAuthorizer/Resource');
    const routes = resourcesOfType(s.templates.api, 'AWS::ApiGatewayV2::Route');
    const declaredRoutes = [...ROUTES, ...FALLBACKS];
    expect(routes.length).toBe(declaredRoutes.length);
    const byRole = { patient: 0, practitioner: 0, assistant: 0 };
    for (const [, route] of routes) {
      const key = route.Properties.RouteKey;
      const declared = declaredRoutes.find((r) => routeKey(r) === key);
      expect(declared, key).toBeDefined();
      if (!declared) continue;
      byRole[declared.role] += 1;
      expect(route.Properties.AuthorizationType, key).toBe('JWT');
      expect(route.Properties.AuthorizerId, key).toEqual({
        Ref: declared.role === 'patient' ? patientsId : professionalsId,
      });
    }
    expect(byRole.patient).toBeGreaterThan(0);
    expect(byRole.practitioner).toBeGreaterThan(0);
    expect(byRole.assistant).toBeGreaterThan(0);
  });

  it.each(FALLBACKS.map((r) => [routeKey(r)]))('%s is integrated with method-not-allowed', (key) => {
    const [functionId] = oneByPath(s.templates.api, '/Routes/method-not-allowed/Function/Resource');
    const route = resourcesOfType(s.templates.api, 'AWS::ApiGatewayV2::Route').find(
      ([, r]) => r.Properties.RouteKey === key,
    );
    const integrationId = route?.[1].Properties.Target['Fn::Join'][1][1].Ref;
    const integration = s.templates.api.toJSON().Resources[integrationId];
    expect(integration.Properties.IntegrationUri).toEqual({ 'Fn::GetAtt': [functionId, 'Arn'] });
  });

  it('lets API Gateway invoke method-not-allowed through one API-wide permission', () => {
    const [functionId] = oneByPath(s.templates.api, '/Routes/method-not-allowed/Function/Resource');
    const permissions = resourcesOfType(s.templates.api, 'AWS::Lambda::Permission').filter(([, p]) =>
      JSON.stringify(p.Properties.FunctionName).includes(functionId),
    );
    expect(permissions).toHaveLength(1);
    expect(permissions[0]?.[1].Properties.Principal).toBe('apigateway.amazonaws.com');
  });

  it.each(ROUTES.map((r) => [routeKey(r), r.name]))('%s is integrated with function %s', (key, name) => {
    const [functionId] = oneByPath(s.templates.api, `/Routes/${name}/Function/Resource`);
    const route = resourcesOfType(s.templates.api, 'AWS::ApiGatewayV2::Route').find(
      ([, r]) => r.Properties.RouteKey === key,
    );
    expect(route, key).toBeDefined();
    const integrationId = route?.[1].Properties.Target['Fn::Join'][1][1].Ref;
    const integration = s.templates.api.toJSON().Resources[integrationId];
    expect(integration.Properties.IntegrationUri).toEqual({ 'Fn::GetAtt': [functionId, 'Arn'] });
    expect(integration.Properties.PayloadFormatVersion).toBe('2.0');
  });

  it("has exactly two JWT authorizers, each with its own pool's issuer and app client", () => {
    const authorizers = resourcesOfType(s.templates.api, 'AWS::ApiGatewayV2::Authorizer');
    expect(authorizers).toHaveLength(2);
    const [, professionals] = oneByPath(s.templates.api, '/HttpApi/ProfessionalsJwtAuthorizer/Resource');
    expect(professionals?.Properties).toMatchObject({
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: {
        Issuer: {
          'Fn::Join': [
            '',
            [
              'https://cognito-idp.eu-west-3.amazonaws.com/',
              { 'Fn::ImportValue': expect.stringMatching(/ProfessionalPool(?!AppClient)/) },
            ],
          ],
        },
        Audience: [{ 'Fn::ImportValue': expect.stringMatching(/ProfessionalPoolAppClient/) }],
      },
    });
    const [, patients] = oneByPath(s.templates.api, '/HttpApi/CognitoJwtAuthorizer/Resource');
    expect(JSON.stringify(patients?.Properties.JwtConfiguration)).not.toContain('ProfessionalPool');
  });

  it('uses a JWT authorizer whose issuer is the user pool and whose audience is the app client', () => {
    s.templates.api.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: {
        Issuer: {
          'Fn::Join': [
            '',
            [
              'https://cognito-idp.eu-west-3.amazonaws.com/',
              { 'Fn::ImportValue': Match.stringLikeRegexp('UserPool') },
            ],
          ],
        },
        Audience: [{ 'Fn::ImportValue': Match.stringLikeRegexp('UserPoolAppClient') }],
      },
    });
  });
});

describe('HTTP API stage', () => {
  it('is the auto-deployed $default stage with default throttling', () => {
    const { rateLimit, burstLimit } = STAGES.dev.throttle;
    s.templates.api.resourceCountIs('AWS::ApiGatewayV2::Stage', 1);
    s.templates.api.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: rateLimit, ThrottlingBurstLimit: burstLimit },
    });
  });

  it('writes JSON access logs (ids, route, status, latency; never bodies) to an encrypted log group', () => {
    const [, stage] = resourcesOfType(s.templates.api, 'AWS::ApiGatewayV2::Stage')[0] ?? [];
    const settings = stage?.Properties.AccessLogSettings;
    const format = JSON.parse(settings.Format);
    expect(format).toEqual(ACCESS_LOG_FIELDS);
    expect(format).toMatchObject({
      requestId: '$context.requestId',
      routeKey: '$context.routeKey',
      status: '$context.status',
      responseLatency: '$context.responseLatency',
    });
    expect(settings.Format).not.toMatch(/body|header/i);

    const logGroupId = settings.DestinationArn['Fn::GetAtt'][0];
    const logGroup = s.templates.api.toJSON().Resources[logGroupId];
    expect(logGroup.Type).toBe('AWS::Logs::LogGroup');
    expect(logGroup.Properties.KmsKeyId).toEqual({ 'Fn::ImportValue': expect.stringContaining('OpsKey') });
    expect(logGroup.Properties.RetentionInDays).toBe(14);
  });
});

describe('outputs', () => {
  it.each([
    ['api', 'ApiUrl'],
    ['api', 'UserPoolId'],
    ['api', 'UserPoolClientId'],
    ['api', 'ProfessionalPoolId'],
    ['api', 'ProfessionalPoolClientId'],
    ['api', 'TableName'],
    ['events', 'EventBusName'],
    ['monitoring', 'AlarmTopicArn'],
  ] as const)('the %s stack outputs %s', (stack, name) => {
    expect(Object.keys(s.templates[stack].findOutputs(name))).toEqual([name]);
  });

  it('gives the API URL of the $default stage', () => {
    s.templates.api.hasOutput('ApiUrl', {
      Value: { 'Fn::Join': ['', Match.arrayWith(['https://', '.execute-api.eu-west-3.', '/'])] },
    });
    s.templates.api.hasOutput('TableName', { Value: 'patient-messaging-dev' });
    s.templates.events.hasOutput('EventBusName', { Value: DEFAULT_BUS_NAME });
  });
});

describe('defaults', () => {
  it('deploys exactly the real RULES and SCHEDULES when none are given, and the stream functions', () => {
    const rules = resourcesOfType(prod.templates.events, 'AWS::Events::Rule');
    expect(rules).toHaveLength(RULES.length + SCHEDULES.length);
    const streamFunctions = FUNCTIONS.filter((f) => f.trigger === 'stream');
    expect(resourcesOfType(prod.templates.events, 'AWS::Lambda::EventSourceMapping')).toHaveLength(
      streamFunctions.length,
    );
    // One DLQ per consumer: rule and schedule targets, and the stream functions (their on-failure destination).
    expect(resourcesOfType(prod.templates.events, 'AWS::SQS::Queue')).toHaveLength(
      new Set([...RULES, ...SCHEDULES].map((r) => r.target)).size + streamFunctions.length,
    );
  });
});

import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS } from '../../functions/catalog.ts';
import { ACCESS_LOG_FIELDS } from '../../infra/api-stack.ts';
import { STAGES } from '../../infra/config.ts';
import { DEFAULT_BUS_NAME } from '../../shared/config.ts';
import { routeKey, USER_POOL_OF_ROLE } from '../../shared/function-model/declaration.ts';
import { fallbackRoutes } from '../../shared/function-model/triggers.ts';
import {
  HTTP_API_STACKS,
  type Json,
  oneByPath,
  ROUTES,
  ROUTES_STACKS,
  RULES,
  resourcesIn,
  resourcesOfType,
  routesStackOf,
  SCHEDULES,
  type StackKey,
  SYNTH_TIMEOUT,
  type Synthesized,
  shared,
  templateOf,
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
  /** Every route of the app, wherever it lives: [logical id, route, template, stack]. */
  const allRoutes = () => resourcesIn(s, 'AWS::ApiGatewayV2::Route', HTTP_API_STACKS);
  const routeKeysIn = (key: StackKey) =>
    resourcesOfType(templateOf(s, key), 'AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties.RouteKey);

  /** The name of the Api stack's export of the resource at `suffix` of its construct path (a Ref). */
  const apiStackExport = (suffix: string): string => {
    const [id] = oneByPath(s.templates.api, suffix);
    const outputs = Object.values(s.templates.api.toJSON().Outputs ?? {}) as Json[];
    const found = outputs.filter((o) => o.Export && JSON.stringify(o.Value) === JSON.stringify({ Ref: id }));
    expect(found, suffix).toHaveLength(1);
    return found[0].Export.Name;
  };
  /** How a stack refers to an Api stack resource: a Ref inside the Api stack, an import elsewhere. */
  const refTo = (key: StackKey, suffix: string): Json =>
    key === 'api'
      ? { Ref: oneByPath(s.templates.api, suffix)[0] }
      : { 'Fn::ImportValue': apiStackExport(suffix) };
  const AUTHORIZER_OF_POOL = {
    patients: '/HttpApi/CognitoJwtAuthorizer/Resource',
    professionals: '/HttpApi/ProfessionalsJwtAuthorizer/Resource',
  } as const;

  it('has one route per ROUTES entry, one greedy ANY per role, and nothing else (no $default)', () => {
    const keys = allRoutes().map(([, r]) => r.Properties.RouteKey);
    expect(keys.sort()).toEqual([...ROUTES, ...FALLBACKS].map(routeKey).sort());
    expect(FALLBACKS.map(routeKey).sort()).toEqual([
      'ANY /v1/assistant/{proxy+}',
      'ANY /v1/patient/{proxy+}',
      'ANY /v1/practitioner/{proxy+}',
    ]);
    expect(keys).not.toContain('$default');
  });

  it("declares every HTTP route (functions/catalog.ts) exactly once across the routes stacks, in its role's and area's", () => {
    const inRoutesStacks = ROUTES_STACKS.flatMap(routeKeysIn);
    for (const route of ROUTES) {
      const key = routeKey(route);
      expect(
        inRoutesStacks.filter((k) => k === key),
        key,
      ).toHaveLength(1);
      expect(routeKeysIn(routesStackOf(route)), key).toContain(key);
    }
    expect(inRoutesStacks).toHaveLength(ROUTES.length);
    // The Api stack keeps only the greedy fallbacks.
    expect(routeKeysIn('api').sort()).toEqual(FALLBACKS.map(routeKey).sort());
  });

  it('attaches every route to the one HTTP API, by its id', () => {
    for (const [id, route, , key] of allRoutes()) {
      expect(route.Properties.ApiId, `${key} ${id}`).toEqual(refTo(key, '/HttpApi/Resource'));
    }
  });

  it("puts on every route the JWT authorizer of its role's user pool: professionals' for practitioner and assistant routes", () => {
    const routes = allRoutes();
    const declaredRoutes = [...ROUTES, ...FALLBACKS];
    expect(routes.length).toBe(declaredRoutes.length);
    const byRole = { patient: 0, practitioner: 0, assistant: 0 };
    for (const [, route, , stack] of routes) {
      const key = route.Properties.RouteKey;
      const declared = declaredRoutes.find((r) => routeKey(r) === key);
      expect(declared, key).toBeDefined();
      if (!declared) continue;
      byRole[declared.role] += 1;
      expect(route.Properties.AuthorizationType, key).toBe('JWT');
      expect(route.Properties.AuthorizerId, key).toEqual(
        refTo(stack, AUTHORIZER_OF_POOL[USER_POOL_OF_ROLE[declared.role]]),
      );
    }
    expect(byRole.patient).toBeGreaterThan(0);
    expect(byRole.practitioner).toBeGreaterThan(0);
    expect(byRole.assistant).toBeGreaterThan(0);
    // The two references differ: the professionals' authorizer is not the patients'.
    const practitionerStack = routesStackOf({
      name: 'any',
      path: '/v1/practitioner/threads',
      role: 'practitioner',
    });
    expect(refTo(practitionerStack, AUTHORIZER_OF_POOL.professionals)).not.toEqual(
      refTo(practitionerStack, AUTHORIZER_OF_POOL.patients),
    );
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
    const declared = ROUTES.find((r) => r.name === name);
    if (!declared) throw new Error(`No route ${name}`);
    const stack = routesStackOf(declared);
    const template = templateOf(s, stack);
    const [functionId] = oneByPath(template, `/Routes/${name}/Function/Resource`);
    const route = resourcesOfType(template, 'AWS::ApiGatewayV2::Route').find(
      ([, r]) => r.Properties.RouteKey === key,
    );
    expect(route, key).toBeDefined();
    const integrationId = route?.[1].Properties.Target['Fn::Join'][1][1].Ref;
    const integration = template.toJSON().Resources[integrationId];
    expect(integration.Properties.IntegrationUri).toEqual({ 'Fn::GetAtt': [functionId, 'Arn'] });
    expect(integration.Properties.PayloadFormatVersion).toBe('2.0');
    expect(integration.Properties.ApiId).toEqual(refTo(stack, '/HttpApi/Resource'));
    // API Gateway may invoke the function through this route's path only (any stage, any method).
    const permissions = resourcesOfType(template, 'AWS::Lambda::Permission').filter(
      ([, p]) =>
        JSON.stringify(p.Properties.FunctionName) === JSON.stringify({ 'Fn::GetAtt': [functionId, 'Arn'] }),
    );
    expect(permissions, name).toHaveLength(1);
    const permission = permissions[0]?.[1].Properties;
    expect(permission.Principal).toBe('apigateway.amazonaws.com');
    const sourceArn = permission.SourceArn['Fn::Join'][1];
    expect(sourceArn).toContainEqual(refTo(stack, '/HttpApi/Resource'));
    expect(sourceArn.at(-1)).toBe(`/*/*${ROUTES.find((r) => r.name === name)?.path}`);
  });

  it('has exactly one JWT authorizer per user pool in the whole app, in the Api stack', () => {
    expect(resourcesIn(s, 'AWS::ApiGatewayV2::Authorizer', HTTP_API_STACKS)).toHaveLength(2);
    expect(resourcesOfType(s.templates.api, 'AWS::ApiGatewayV2::Authorizer')).toHaveLength(2);
    for (const suffix of Object.values(AUTHORIZER_OF_POOL)) oneByPath(s.templates.api, suffix);
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
    // The only API, stage and deployment of the app: the routes stacks' routes go live through the
    // stage's auto-deploy (docs/adr/0001-stack-split.md), not through a deployment of their own.
    for (const type of ['AWS::ApiGatewayV2::Api', 'AWS::ApiGatewayV2::Stage']) {
      expect(resourcesIn(s, type, HTTP_API_STACKS), type).toHaveLength(1);
    }
    expect(resourcesIn(s, 'AWS::ApiGatewayV2::Deployment', HTTP_API_STACKS)).toEqual([]);
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

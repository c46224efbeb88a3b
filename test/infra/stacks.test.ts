/**
 * The shape of the app: which stacks a stage has, their size against CloudFormation's 500-resource limit,
 * their deploy order, and the few values that cross from one stack to another
 * (docs/adr/0001-stack-split.md).
 */
import { Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AREA_GROUPS,
  planRoutesStacks,
  type RouteAreaGroups,
  routeArea,
  routesStackName,
} from '../../infra/route-areas.ts';
import {
  type HttpFunctionDeclaration,
  type Role,
  USER_POOL_OF_ROLE,
  type UserPoolName,
} from '../../shared/function-model/declaration.ts';
import {
  type Json,
  oneByPath,
  ROUTES,
  ROUTES_STACK_PLANS,
  ROUTES_STACKS,
  routesStackOf,
  STACK_KEYS,
  type StackKey,
  SYNTH_TIMEOUT,
  type Synthesized,
  shared,
  templateOf,
} from './synth.ts';

/** CloudFormation refuses a template with more than 500 resources. */
const CLOUDFORMATION_LIMIT = 500;
/** A stack above this fails the build: time to split it before CloudFormation does it for us mid-release. */
const FAIL_ABOVE = 400;
/**
 * Where every stack stands today, with room. The Api stack reached 322 (export and erasure routes, the
 * 405 fallback) and was split by role, then PractitionerRoutes (288, 7 per route) by area (ADR 0001):
 * the largest routes stack holds ~120. A stack that reaches this budget moves an area to a group of its
 * own (infra/route-areas.ts); the limit that fails the build stays FAIL_ABOVE.
 */
const BUDGET_TODAY = 300;
/** `cdk synth` adds one AWS::CDK::Metadata resource per stack (version reporting); these syntheses do not. */
const CLI_METADATA = 1;

const STAGES = ['dev', 'prod'] as const;
let synthesized: Record<(typeof STAGES)[number], Synthesized>;
beforeAll(() => {
  synthesized = { dev: shared('dev'), prod: shared('prod') };
}, SYNTH_TIMEOUT);

const stacksOf = (s: Synthesized): Stack[] => s.app.node.children.filter((c): c is Stack => Stack.isStack(c));

/** Resources per stack, for every stack of the cloud assembly (app.synth() returns the shared synthesis' one). */
const resourceCounts = (s: Synthesized): Record<string, number> =>
  Object.fromEntries(
    s.app
      .synth()
      .stacks.map((artifact) => [
        artifact.stackName,
        Object.keys(artifact.template.Resources ?? {}).length + CLI_METADATA,
      ]),
  );

describe.each(STAGES)('the %s stage', (stage) => {
  const s = () => synthesized[stage];

  it('has ten stacks with names that say what they hold: the routes stacks per role and area group', () => {
    // Pinned: renaming a routes stack (or moving an area) recreates its functions (ADR 0001).
    expect(stacksOf(s()).map((stack) => stack.stackName)).toEqual(
      [
        'Stateful',
        'Api',
        'AssistantRoutes',
        'PatientRoutes',
        'PractitionerRoutes',
        'PractitionerOutreachRoutes',
        'PractitionerPracticeRoutes',
        'Events',
        'Realtime',
        'Monitoring',
      ].map((name) => `PatientMessaging-${stage}-${name}`),
    );
    expect(s().routes.map((stack) => [stack.role, stack.group, stack.stackName])).toEqual(
      ROUTES_STACK_PLANS.map((plan) => [plan.role, plan.group, `PatientMessaging-${stage}-${plan.name}`]),
    );
  });

  it(`keeps every stack under ${FAIL_ABOVE} resources (CloudFormation's limit is ${CLOUDFORMATION_LIMIT}), under ${BUDGET_TODAY} today`, () => {
    const counts = resourceCounts(s());
    console.info(`resources per stack (${stage}, with CDK metadata):`, counts);
    expect(Object.keys(counts)).toHaveLength(STACK_KEYS.length);
    for (const [name, count] of Object.entries(counts)) {
      expect(count, `${name}: split it (docs/adr/0001-stack-split.md)`).toBeLessThanOrEqual(FAIL_ABOVE);
      expect(count, name).toBeLessThan(BUDGET_TODAY);
    }
  });

  it('deploys Stateful first, then Api, Events and Realtime (independent of each other), the routes stacks after Api, then Monitoring', () => {
    const { stateful, api, routes, events, realtime, monitoring } = s();
    const names = (stack: Stack) => stack.dependencies.map((d) => d.stackName).sort();
    expect(names(stateful)).toEqual([]);
    expect(names(api)).toEqual([stateful.stackName]);
    expect(names(events)).toEqual([stateful.stackName]);
    expect(names(realtime)).toEqual([stateful.stackName]);
    expect(routes).toHaveLength(ROUTES_STACK_PLANS.length);
    // After Api: their routes attach to its API and authorizers. A role's area groups after its main
    // stack (an area that leaves it is deleted there first); independent of other roles and of Events.
    for (const stack of routes) {
      const main = routes.find((r) => r.role === stack.role && r.group === undefined);
      expect(main, stack.stackName).toBeDefined();
      const before = [api.stackName, stateful.stackName];
      if (stack.group !== undefined && main) before.push(main.stackName);
      expect(names(stack), stack.stackName).toEqual(before.sort());
    }
    expect(names(monitoring)).toEqual(
      [
        api.stackName,
        ...routes.map((r) => r.stackName),
        events.stackName,
        realtime.stackName,
        stateful.stackName,
      ].sort(),
    );
  });
});

/** Export names a template imports (Fn::ImportValue), wherever they appear. */
const importsOf = (template: Template): string[] => {
  const found = new Set<string>();
  const walk = (node: Json): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      if (typeof node['Fn::ImportValue'] === 'string') found.add(node['Fn::ImportValue']);
      Object.values(node).forEach(walk);
    }
  };
  walk(template.toJSON());
  return [...found].sort();
};

/** Export names a template exports, and the Ref/GetAtt behind each. */
const exportsOf = (template: Template): Record<string, Json> =>
  Object.fromEntries(
    Object.values(template.toJSON().Outputs ?? {})
      .filter((o: Json) => o.Export)
      .map((o: Json) => [o.Export.Name, o.Value]),
  );

describe('references between stacks', () => {
  const s = () => synthesized.dev;
  const statefulExport = (logicalId: string, attribute?: string) => {
    const entry = Object.entries(exportsOf(s().templates.stateful)).find(
      ([, value]) =>
        JSON.stringify(value) ===
        JSON.stringify(attribute ? { 'Fn::GetAtt': [logicalId, attribute] } : { Ref: logicalId }),
    );
    if (!entry)
      throw new Error(`The stateful stack does not export ${logicalId}${attribute ? `.${attribute}` : ''}`);
    return entry[0];
  };
  /** The name of the Api stack's export of the resource at `suffix` of its construct path (a Ref). */
  const apiStackExport = (suffix: string) => {
    const [id] = oneByPath(s().templates.api, suffix);
    const entry = Object.entries(exportsOf(s().templates.api)).find(
      ([, value]) => JSON.stringify(value) === JSON.stringify({ Ref: id }),
    );
    if (!entry) throw new Error(`The Api stack does not export ${id}`);
    return entry[0];
  };
  const apiExport = () => apiStackExport('/HttpApi/Resource');
  const authorizerExport = (id: string) => apiStackExport(`/HttpApi/${id}/Resource`);

  it('keeps the stateful logical ids: the table, its key, backups, bus and user pool are never replaced', () => {
    const ids = Object.entries(s().templates.stateful.toJSON().Resources as Record<string, { Type: string }>)
      .map(([id, r]) => `${r.Type} ${id}`)
      .sort();
    expect(ids).toEqual(
      [
        'AWS::KMS::Key DataKey17AFBB84',
        'AWS::KMS::Alias DataKeyAliasF989EB84',
        'AWS::KMS::Key OpsKey802FB888',
        'AWS::KMS::Alias OpsKeyAliasE6D48AD7',
        'AWS::DynamoDB::Table TableCD117FA1',
        'AWS::DynamoDB::Table IdempotencyTable22A5A209',
        'AWS::Backup::BackupVault BackupVault3A9C5852',
        'AWS::Backup::BackupPlan BackupPlanA8F64793',
        'AWS::IAM::Role BackupPlanTableRoleAFE2D31B',
        'AWS::Backup::BackupSelection BackupPlanTable4DA1B6EB',
        'AWS::Events::EventBus BusEA82B648',
        'AWS::Events::Archive BusArchiveD76499E2',
        'AWS::Cognito::UserPool UserPool6BA7E5F2',
        'AWS::Cognito::UserPoolClient UserPoolAppClientDD0407EC',
        // The professionals' pool (docs/adr/0009-professional-accounts.md).
        'AWS::Cognito::UserPool ProfessionalPool50CD2A7E',
        'AWS::Cognito::UserPoolClient ProfessionalPoolAppClientF0C9B1DE',
        'AWS::SES::ConfigurationSet ConfigurationSet3DD38186',
        'AWS::SES::EmailIdentity SenderIdentity5AECAF6F',
        'AWS::SecretsManager::Secret CursorSigningKey255C5A33',
        // The patients' exports (docs/adr/0013-gdpr-export-erasure.md): SSE-KMS, TLS only (its policy), 7 days.
        'AWS::S3::Bucket ExportBucket4E99310E',
        'AWS::S3::BucketPolicy ExportBucketPolicyA383B5FF',
        // The Object Lock audit bucket and its access logs (docs/adr/0012-audit-object-lock.md).
        'AWS::S3::Bucket AuditBucketB01E0AE8',
        'AWS::S3::BucketPolicy AuditBucketPolicy9F807F4B',
        'AWS::S3::Bucket AuditAccessLogs7866003E',
        'AWS::S3::BucketPolicy AuditAccessLogsPolicy9D8ABB3E',
        // The attachments (docs/adr/0016-attachments.md): the bucket, its TLS-only policy, GuardDuty's plan and role.
        'AWS::S3::Bucket AttachmentsBucket134755D7',
        'AWS::S3::BucketPolicy AttachmentsBucketPolicy606F2E96',
        'AWS::GuardDuty::MalwareProtectionPlan AttachmentsMalwareProtectionPlan1E6BA8DF',
        'AWS::IAM::Role AttachmentsMalwareProtectionRoleB8C81834',
      ].sort(),
    );
  });

  it('keeps the Api stack logical ids: the API (its URL), its authorizers, stage, logs and fallback are never replaced', () => {
    const ids = Object.entries(s().templates.api.toJSON().Resources as Record<string, { Type: string }>)
      .map(([id, r]) => `${r.Type} ${id}`)
      .sort();
    expect(ids).toEqual(
      [
        'AWS::ApiGatewayV2::Api HttpApiF5A9A8A7',
        // Explicit HttpAuthorizer constructs at the paths HttpJwtAuthorizer used before the routes stacks.
        'AWS::ApiGatewayV2::Authorizer HttpApiCognitoJwtAuthorizerBCC528BD',
        'AWS::ApiGatewayV2::Authorizer HttpApiProfessionalsJwtAuthorizer2BD8E596',
        'AWS::ApiGatewayV2::Stage ApiStage529D6240',
        'AWS::Logs::LogGroup ApiAccessLogsE9DF007D',
        // The 405/404 fallback: its function, the greedy route of each role, one integration and permission.
        'AWS::Lambda::Function RoutesmethodnotallowedFunctionE7846913',
        'AWS::IAM::Role RoutesmethodnotallowedRole82CA49C2',
        'AWS::IAM::Policy RoutesmethodnotallowedRoleDefaultPolicyBB19DFBC',
        'AWS::Logs::LogGroup RoutesmethodnotallowedLogGroup5D172CF4',
        'AWS::ApiGatewayV2::Route HttpApiANYv1patientproxy109F437B',
        'AWS::ApiGatewayV2::Route HttpApiANYv1practitionerproxy1B9C4489',
        'AWS::ApiGatewayV2::Route HttpApiANYv1assistantproxy3F44AC41',
        'AWS::ApiGatewayV2::Integration HttpApiANYv1patientproxymethodnotallowedintegrationE34F93F8',
        'AWS::Lambda::Permission HttpApiANYv1patientproxyApiPermissionApiScopedPatientMessagingdevApiRoutesmethodnotallowedFunction18786D6EPatientMessagingdevApiHttpApiAFEAAC89B8D99C3F',
      ].sort(),
    );
  });

  it('the stateful stack exports its keys, user pool and app client (and, until the old stack is gone, the bus)', () => {
    expect(Object.keys(exportsOf(s().templates.stateful)).sort()).toEqual(
      [
        statefulExport('DataKey17AFBB84', 'Arn'),
        statefulExport('OpsKey802FB888', 'Arn'),
        statefulExport('UserPool6BA7E5F2'),
        statefulExport('UserPoolAppClientDD0407EC'),
        statefulExport('ProfessionalPool50CD2A7E'),
        statefulExport('ProfessionalPoolAppClientF0C9B1DE'),
        // The table's stream (its label only exists once the stream does), read by the outbox publisher.
        statefulExport('TableCD117FA1', 'StreamArn'),
        // Imported by nobody in this app (see the next tests); kept for stages deployed before the split.
        statefulExport('BusEA82B648'),
      ].sort(),
    );
    expect(importsOf(s().templates.stateful)).toEqual([]);
  });

  it('the Api stack imports the ops key and the user pools (its authorizers), nothing else', () => {
    expect(importsOf(s().templates.api)).toEqual(
      [
        statefulExport('OpsKey802FB888', 'Arn'),
        statefulExport('UserPool6BA7E5F2'),
        statefulExport('UserPoolAppClientDD0407EC'),
        statefulExport('ProfessionalPool50CD2A7E'),
        statefulExport('ProfessionalPoolAppClientF0C9B1DE'),
      ].sort(),
    );
  });

  it('the Events stack imports the keys and the table stream only: the bus and the table are imported by name', () => {
    expect(importsOf(s().templates.events)).toEqual(
      [
        statefulExport('DataKey17AFBB84', 'Arn'),
        statefulExport('OpsKey802FB888', 'Arn'),
        statefulExport('TableCD117FA1', 'StreamArn'),
      ].sort(),
    );
  });

  it('the Api stack exports the API id and one authorizer id per user pool, nothing else', () => {
    expect(Object.keys(exportsOf(s().templates.api)).sort()).toEqual(
      [
        apiExport(),
        authorizerExport('CognitoJwtAuthorizer'),
        authorizerExport('ProfessionalsJwtAuthorizer'),
      ].sort(),
    );
  });

  const AUTHORIZER_OF_POOL = {
    patients: 'CognitoJwtAuthorizer',
    professionals: 'ProfessionalsJwtAuthorizer',
  } as const satisfies Record<UserPoolName, string>;
  it.each(ROUTES_STACK_PLANS.map((plan) => [plan.name, AUTHORIZER_OF_POOL[USER_POOL_OF_ROLE[plan.role]]]))(
    "the %s stack imports the keys, the API id and its pool's authorizer (%s), nothing else",
    (key, authorizer) => {
      expect(importsOf(templateOf(s(), key as StackKey))).toEqual(
        [
          statefulExport('DataKey17AFBB84', 'Arn'),
          statefulExport('OpsKey802FB888', 'Arn'),
          apiExport(),
          authorizerExport(authorizer),
        ].sort(),
      );
    },
  );

  it('the Monitoring stack imports the ops key and the API id; functions and queues are watched by name', () => {
    expect(importsOf(s().templates.monitoring)).toEqual(
      [statefulExport('OpsKey802FB888', 'Arn'), apiExport()].sort(),
    );
    for (const key of ['events', 'monitoring', ...ROUTES_STACKS] as const satisfies readonly StackKey[]) {
      expect(exportsOf(templateOf(s(), key)), key).toEqual({});
    }
  });
});

describe('routes stacks by area (infra/route-areas.ts)', () => {
  type Shape = Pick<HttpFunctionDeclaration, 'name' | 'path' | 'role'>;
  /** Route name → the routes stack that holds it, as planned. */
  const stackOfEach = (routes: readonly Shape[], groups?: RouteAreaGroups): Map<string, string> =>
    new Map(
      planRoutesStacks(routes, groups).flatMap((plan) =>
        plan.routes.map((r) => [r.name, plan.name] as const),
      ),
    );
  /** The routes of `before` whose stack differs in `after`. */
  const moved = (before: Map<string, string>, after: Map<string, string>): string[] =>
    [...before].filter(([name, stack]) => after.get(name) !== stack).map(([name]) => name);
  const extraRoutes = (role: Role, area: string, count: number): Shape[] =>
    Array.from({ length: count }, (_, i) => ({
      name: `extra-${role}-${area}-${i}`,
      role,
      path: `/v1/${role}/${area}/extra-${i}/{id}`,
    }));

  const ROLES = [...new Set(ROUTES.map((r) => r.role))];
  const AREAS = [...new Set(ROUTES.map((r) => `${r.role} ${routeArea(r)}`))].map((key) => key.split(' '));

  it('holds every route in one stack, and each area whole in one stack', () => {
    const stacks = stackOfEach(ROUTES);
    expect([...stacks.keys()].sort()).toEqual(ROUTES.map((r) => r.name).sort());
    for (const [role, area] of AREAS) {
      const of = new Set(
        ROUTES.filter((r) => r.role === role && routeArea(r) === area).map((r) => stacks.get(r.name)),
      );
      expect([...of], `${role}/${area}`).toHaveLength(1);
    }
    // The practitioner inbox keeps its stack (and its functions): threads are in PractitionerRoutes.
    expect(
      routesStackOf({ name: 'reply', role: 'practitioner', path: '/v1/practitioner/threads/{threadId}' }),
    ).toBe('PractitionerRoutes');
  });

  // One route, or enough to fill a stack: a packing by size would move the next areas; the map does not.
  it.each([
    ...AREAS.map(([role, area]) => [role as Role, area as string, 'an existing area'] as const),
    ...ROLES.map((role) => [role, 'brand-new-area', 'a new area: the main stack'] as const),
  ])('a route added to %s/%s (%s) moves no other route to another stack', (role, area) => {
    const before = stackOfEach(ROUTES);
    const areaStack =
      ROUTES.filter((r) => r.role === role && routeArea(r) === area).map((r) => before.get(r.name))[0] ??
      routesStackName(role);
    for (const count of [1, 60]) {
      const extra = extraRoutes(role, area, count);
      const after = stackOfEach([...ROUTES, ...extra]);
      expect(moved(before, after), `${count} added`).toEqual([]);
      for (const route of extra) expect(after.get(route.name), route.name).toBe(areaStack);
      expect(planRoutesStacks([...ROUTES, ...extra]).map((p) => p.name)).toEqual(ROUTES_STACKS);
    }
  });

  it('sees a move when there is one (control): an area given a group moves its routes, and only them', () => {
    const practitionerGroups = AREA_GROUPS.practitioner ?? {};
    const groups: RouteAreaGroups = {
      ...AREA_GROUPS,
      practitioner: { ...practitionerGroups, Stats: ['stats'] },
    };
    const movedRoutes = moved(stackOfEach(ROUTES), stackOfEach(ROUTES, groups));
    expect(movedRoutes.sort()).toEqual(
      ROUTES.filter((r) => r.role === 'practitioner' && routeArea(r) === 'stats')
        .map((r) => r.name)
        .sort(),
    );
    expect(movedRoutes.length).toBeGreaterThan(0);
  });

  it('refuses a path without an area, an area in two groups and a group that cannot name a stack', () => {
    expect(() => routeArea({ name: 'x', role: 'patient', path: '/v1/patient/{id}' })).toThrow(/no area/);
    expect(() => routeArea({ name: 'x', role: 'patient', path: '/v1/practitioner/threads' })).toThrow(
      /no area/,
    );
    expect(() =>
      planRoutesStacks(ROUTES, { practitioner: { Inbox: ['threads'], Outreach: ['threads'] } }),
    ).toThrow(/in two groups/);
    expect(() => planRoutesStacks(ROUTES, { practitioner: { 'scheduled-messages': ['threads'] } })).toThrow(
      /PascalCase/,
    );
  });
});

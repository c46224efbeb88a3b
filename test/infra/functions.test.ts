import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Key } from 'aws-cdk-lib/aws-kms';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS } from '../../functions/catalog.ts';
import { ServiceFunction } from '../../infra/constructs/service-function.ts';
import { holdsPersonalData } from '../../infra/events-stack.ts';
import { DEFAULT_BUS_NAME, ENV } from '../../shared/config.ts';
import {
  API_FUNCTIONS,
  actionsOf,
  asArray,
  CONSUMERS,
  functionLocation,
  functionStack,
  oneByPath,
  REALTIME_FUNCTIONS,
  ROUTES,
  ROUTES_STACKS,
  resourcesIn,
  resourcesOfType,
  roleStatements,
  routesStackOf,
  STACK_KEYS,
  SYNTH_TIMEOUT,
  type Synthesized,
  shared,
  templateOf,
} from './synth.ts';

let s: Synthesized;
beforeAll(() => {
  s = shared('dev');
}, SYNTH_TIMEOUT);

const routeScope = (name: string) => `/Routes/${name}`;
const consumerScope = (target: string) => `/Consumers/${target}/Handler`;
/** The statements of a declared function's role, read from the stack that holds the function. */
const statementsOf = (name: string) => {
  const { template, scope } = functionLocation(s, name);
  return roleStatements(template, scope);
};

describe('every Lambda function', () => {
  it('exists once per route (the routes stack of its role and area), once for the fallback (Api) and once per event/schedule target (Events), nowhere else', () => {
    expect(resourcesOfType(s.templates.api, 'AWS::Lambda::Function')).toHaveLength(
      FUNCTIONS.filter((f) => f.trigger === 'method-fallback').length,
    );
    for (const stack of ROUTES_STACKS) {
      expect(resourcesOfType(templateOf(s, stack), 'AWS::Lambda::Function'), stack).toHaveLength(
        ROUTES.filter((r) => routesStackOf(r) === stack).length,
      );
    }
    expect(resourcesOfType(s.templates.events, 'AWS::Lambda::Function')).toHaveLength(CONSUMERS.length);
    expect(resourcesOfType(s.templates.realtime, 'AWS::Lambda::Function')).toHaveLength(
      REALTIME_FUNCTIONS.length,
    );
    expect(resourcesIn(s, 'AWS::Lambda::Function', STACK_KEYS)).toHaveLength(
      API_FUNCTIONS.length + CONSUMERS.length + REALTIME_FUNCTIONS.length,
    );
    for (const name of API_FUNCTIONS)
      oneByPath(templateOf(s, functionStack(name)), `${routeScope(name)}/Function/Resource`);
    for (const target of CONSUMERS)
      oneByPath(s.templates.events, `${consumerScope(target)}/Function/Resource`);
  });

  it('has a fixed physical name, patient-messaging-<stage>-<name> (the monitoring stack watches it by name)', () => {
    for (const name of [...API_FUNCTIONS, ...CONSUMERS, ...REALTIME_FUNCTIONS]) {
      const { template, scope } = functionLocation(s, name);
      const [, fn] = oneByPath(template, `${scope}/Function/Resource`);
      expect(fn.Properties.FunctionName, name).toBe(`patient-messaging-dev-${name}`);
    }
  });

  it('runs Node.js 22 on arm64 with active tracing, 512 MB, an explicit log group with retention', () => {
    const functions = resourcesIn(s, 'AWS::Lambda::Function');
    for (const [id, fn, template] of functions) {
      const p = fn.Properties;
      expect(p.Runtime, id).toBe('nodejs22.x');
      expect(p.Architectures, id).toEqual(['arm64']);
      expect(p.TracingConfig, id).toEqual({ Mode: 'Active' });
      expect(p.MemorySize, id).toBe(512);
      const logGroupId = p.LoggingConfig.LogGroup.Ref;
      const logGroup = template.toJSON().Resources[logGroupId];
      expect(logGroup.Type, id).toBe('AWS::Logs::LogGroup');
      expect(logGroup.Properties.RetentionInDays, id).toBe(14);
      expect(logGroup.Properties.KmsKeyId, id).toBeDefined();
    }
  });

  it('gets the service configuration through its environment', () => {
    for (const [id, fn] of resourcesIn(s, 'AWS::Lambda::Function')) {
      const vars = fn.Properties.Environment.Variables;
      for (const name of [
        ENV.tableName,
        ENV.eventBusName,
        ENV.sesFromAddress,
        ENV.sesConfigurationSet,
        ENV.appBaseUrl,
      ]) {
        expect(vars[name], `${id} ${name}`).toBeDefined();
      }
      expect(vars, id).toMatchObject({
        TABLE_NAME: 'patient-messaging-dev',
        // The bus by its fixed name: no import from the stateful stack.
        EVENT_BUS_NAME: DEFAULT_BUS_NAME,
        SES_FROM_ADDRESS: 'no-reply@example.com',
        POWERTOOLS_SERVICE_NAME: 'patient-messaging',
        POWERTOOLS_METRICS_NAMESPACE: 'PatientMessaging',
        POWERTOOLS_LOG_LEVEL: 'DEBUG',
        NODE_OPTIONS: '--enable-source-maps',
      });
    }
  });

  it('has timeouts of 10 s behind the API and 30 s for event consumers', () => {
    for (const name of API_FUNCTIONS) {
      const [, fn] = oneByPath(templateOf(s, functionStack(name)), `${routeScope(name)}/Function/Resource`);
      expect(fn.Properties.Timeout, name).toBe(10);
    }
    for (const target of CONSUMERS) {
      const [, fn] = oneByPath(s.templates.events, `${consumerScope(target)}/Function/Resource`);
      expect(fn.Properties.Timeout, target).toBe(30);
    }
  });

  it('has its own role with no AWS managed policy, writing only to its own log group', () => {
    for (const [id, role] of resourcesIn(s, 'AWS::IAM::Role')) {
      if (!String(role.Metadata?.['aws:cdk:path']).includes('/Role/')) continue;
      expect(role.Properties.ManagedPolicyArns, id).toBeUndefined();
    }
    for (const route of ROUTES) {
      const { template } = functionLocation(s, route.name);
      const [logGroupId] = oneByPath(template, `${routeScope(route.name)}/LogGroup/Resource`);
      const logs = roleStatements(template, routeScope(route.name)).filter((st) =>
        asArray(st.Action).some((a) => a.startsWith('logs:')),
      );
      expect(logs, route.name).toEqual([
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] },
        },
      ]);
    }
  });

  it('only uses Resource "*" for X-Ray and DynamoDB ListStreams, which have no resource-level permissions', () => {
    const policies = resourcesIn(s, 'AWS::IAM::Policy', STACK_KEYS);
    expect(policies.length).toBeGreaterThanOrEqual(ROUTES.length + CONSUMERS.length);
    for (const [id, policy] of policies) {
      for (const statement of policy.Properties.PolicyDocument.Statement) {
        if (asArray(statement.Resource).includes('*')) {
          expect(
            asArray(statement.Action).every(
              (a: string) => a.startsWith('xray:') || a === 'dynamodb:ListStreams',
            ),
            id,
          ).toBe(true);
        }
      }
    }
  });
});

describe('grants from the declarations (details: test/infra/permissions.test.ts)', () => {
  it.each(FUNCTIONS.map((f) => [f.name, f] as const))(
    '%s: data-key actions follow what it does with the table',
    (name, f) => {
      // The statements on the data key (the table's CMK), not the ops key of logs and DLQs.
      const actions = actionsOf(
        statementsOf(name).filter((st) => JSON.stringify(st.Resource).includes('DataKey')),
      );
      const writes =
        (f.access.table?.write ?? []).length > 0 ||
        f.access.table?.appendsAudit === true ||
        (f.access.emits ?? []).length > 0;
      const idempotent = f.trigger === 'http' && f.idempotent === true;
      // DynamoDB with a CMK: writing needs GenerateDataKey, reading only Decrypt.
      if (writes || idempotent) expect(actions).toContain('kms:GenerateDataKey*');
      else expect(actions, `${name} reads only`).not.toContain('kms:GenerateDataKey*');
      if (f.access.table || f.trigger === 'stream') expect(actions).toContain('kms:Decrypt');
    },
  );

  it('lists the indexes a function queries: no index wildcard anywhere', () => {
    for (const [id, policy] of resourcesIn(s, 'AWS::IAM::Policy', STACK_KEYS)) {
      expect(JSON.stringify(policy.Properties.PolicyDocument), id).not.toContain('/index/*');
    }
  });
});

describe('event consumers', () => {
  const EMAIL_SENDERS = new Set(FUNCTIONS.filter((f) => f.access.sendsEmail).map((f) => f.name));

  it('some consumers send email and some do not', () => {
    expect(EMAIL_SENDERS.size).toBeGreaterThan(0);
    expect(CONSUMERS.length).toBeGreaterThan(EMAIL_SENDERS.size);
  });

  it.each(FUNCTIONS.map((f) => f.name))(
    '%s may send email only if it is declared a sender, and only as the sender',
    (name) => {
      const statements = statementsOf(name);
      const ses = statements.filter((st) => asArray(st.Action).some((a) => a.startsWith('ses:')));
      if (!EMAIL_SENDERS.has(name)) {
        expect(ses).toEqual([]);
        return;
      }
      expect(ses).toHaveLength(1);
      const [statement] = ses;
      // SESv2 SendEmail only (shared/runtime/mailer.ts): no raw MIME.
      expect(asArray(statement?.Action)).toEqual(['ses:SendEmail']);
      const resources = asArray(statement?.Resource);
      expect(resources).toHaveLength(2);
      expect(JSON.stringify(resources)).not.toContain('*');
      expect(JSON.stringify(resources)).toContain(':identity/no-reply@example.com');
      expect(JSON.stringify(resources)).toContain(':configuration-set/patient-messaging-dev');
      expect(statement?.Condition).toEqual({ StringEquals: { 'ses:FromAddress': ['no-reply@example.com'] } });
    },
  );

  it.each(CONSUMERS)('%s sends failed asynchronous invocations to its encrypted DLQ', (target) => {
    const [queueId, queue] = oneByPath(s.templates.events, `/Consumers/${target}/DeadLetterQueue/Resource`);
    const [, fn] = oneByPath(s.templates.events, `${consumerScope(target)}/Function/Resource`);
    expect(fn.Properties.DeadLetterConfig).toEqual({ TargetArn: { 'Fn::GetAtt': [queueId, 'Arn'] } });
    // Agenda events (names, email, motive) are parked under the data key (events.test.ts), others the ops key.
    const declaration = FUNCTIONS.find((f) => f.name === target);
    const queueKey = declaration && holdsPersonalData(declaration) ? 'DataKey' : 'OpsKey';
    expect(queue.Properties.KmsMasterKeyId).toEqual({ 'Fn::ImportValue': expect.stringContaining(queueKey) });
    const statements = roleStatements(s.templates.events, consumerScope(target));
    const send = statements.find((st) => asArray(st.Action).includes('sqs:SendMessage'));
    expect(send?.Resource).toEqual({ 'Fn::GetAtt': [queueId, 'Arn'] });
    const kms = [
      ...new Set(
        statements
          .filter((st) => JSON.stringify(st.Resource).includes(queueKey))
          .flatMap((st) => asArray(st.Action)),
      ),
    ].sort();
    if (queueKey === 'DataKey') {
      // The table's grant on the same key comes on top (service-functions.ts); the DLQ's own is exact.
      expect(kms).toEqual(expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKey']));
      return;
    }
    const isStream = FUNCTIONS.find((f) => f.name === target)?.trigger === 'stream';
    // A stream function's failed batches go to the same DLQ as its on-failure destination: CDK grants the
    // SQS send with the encryption actions on that single key.
    expect(kms).toEqual(
      isStream
        ? ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:GenerateDataKey*', 'kms:ReEncrypt*']
        : ['kms:Decrypt', 'kms:GenerateDataKey'],
    );
    if (isStream) {
      const [, mapping] = oneByPath(s.templates.events, `/Consumers/${target}/StreamSource/Resource`);
      expect(mapping.Properties.DestinationConfig).toEqual({
        OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } },
      });
    }
  });
});

describe('idempotent writes (Powertools Idempotency)', () => {
  const IDEMPOTENCY_ACTIONS = [
    'dynamodb:DeleteItem',
    'dynamodb:GetItem',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
  ];
  const onIdempotencyTable = (statements: ReturnType<typeof roleStatements>) =>
    statements.filter((st) =>
      JSON.stringify(st.Resource).includes(':table/patient-messaging-dev-idempotency'),
    );

  const idempotent = (name: string) =>
    FUNCTIONS.some((f) => f.name === name && f.trigger === 'http' && f.idempotent === true);

  it.each(ROUTES.filter((r) => idempotent(r.name)).map((r) => r.name))(
    '%s may Get/Put/Update/Delete idempotency records, nothing more',
    (name) => {
      const statements = onIdempotencyTable(statementsOf(name));
      expect(statements).toHaveLength(1);
      expect(asArray(statements[0]?.Action).sort()).toEqual(IDEMPOTENCY_ACTIONS);
      expect(asArray(statements[0]?.Resource)).toHaveLength(1);
    },
  );

  it('no other function can reach the idempotency table', () => {
    const others = [...ROUTES.filter((r) => !idempotent(r.name)).map((r) => r.name), ...CONSUMERS];
    for (const name of others) {
      expect(onIdempotencyTable(statementsOf(name)), name).toEqual([]);
    }
  });

  it('every function knows the table name', () => {
    for (const [id, fn] of resourcesIn(s, 'AWS::Lambda::Function')) {
      expect(fn.Properties.Environment.Variables[ENV.idempotencyTableName], id).toBe(
        'patient-messaging-dev-idempotency',
      );
    }
  });
});

describe('audit trail and logs', () => {
  it('no function may update or delete an audit entry: AUDIT# partitions are reachable by PutItem only', () => {
    for (const [id, policy] of resourcesIn(s, 'AWS::IAM::Policy', STACK_KEYS)) {
      for (const st of policy.Properties.PolicyDocument.Statement as Array<{
        Action: string | string[];
        Condition?: Record<string, Record<string, string | string[]>>;
      }>) {
        const leading = asArray(st.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'] ?? []);
        if (!leading.includes('AUDIT#*')) continue;
        const writes = asArray(st.Action).filter((a) =>
          /PutItem|UpdateItem|DeleteItem|BatchWriteItem/.test(a),
        );
        expect(writes, id).toEqual(writes.length > 0 ? ['dynamodb:PutItem'] : []);
        if (writes.length > 0)
          expect(leading, `${id}: audit appends are a statement of their own`).toEqual(['AUDIT#*']);
      }
    }
  });

  it('no function may send raw email (ses:SendRawEmail) or use an SES wildcard', () => {
    for (const [id, policy] of resourcesIn(s, 'AWS::IAM::Policy', STACK_KEYS)) {
      const actions = policy.Properties.PolicyDocument.Statement.flatMap(
        (st: { Action: string | string[] }) => asArray(st.Action),
      );
      expect(actions, id).not.toContain('ses:SendRawEmail');
      expect(
        actions.filter((a: string) => a.startsWith('ses:') && a.includes('*')),
        id,
      ).toEqual([]);
    }
  });

  it('never logs events nor traces responses, by configuration too', () => {
    for (const [id, fn] of resourcesIn(s, 'AWS::Lambda::Function')) {
      expect(fn.Properties.Environment.Variables, id).toMatchObject({
        POWERTOOLS_LOGGER_LOG_EVENT: 'false',
        POWERTOOLS_TRACER_CAPTURE_RESPONSE: 'false',
      });
    }
  });
});

describe('ServiceFunction', () => {
  it('refuses to synthesize a missing handler when the stack must be bundled', () => {
    const stack = new Stack(new App(), 'Bundled');
    expect(
      () =>
        new ServiceFunction(stack, 'Missing', {
          name: 'no-such-function',
          kind: 'api',
          environment: {},
          logLevel: 'INFO',
          logRetention: RetentionDays.ONE_WEEK,
          logRemovalPolicy: RemovalPolicy.DESTROY,
          logEncryptionKey: new Key(stack, 'Key'),
        }),
    ).toThrow(/Missing Lambda handler .*functions\/no-such-function\/handler\.ts/);
  });
});

describe('cursor signing key', () => {
  it('every function reads it from the stateful stack’s secret by a dynamic reference, never a literal', () => {
    const functions = resourcesIn(s, 'AWS::Lambda::Function');
    expect(functions).toHaveLength(API_FUNCTIONS.length + CONSUMERS.length + REALTIME_FUNCTIONS.length);
    for (const [id, fn] of functions) {
      expect(fn.Properties.Environment.Variables.CURSOR_SIGNING_KEY, id).toBe(
        '{{resolve:secretsmanager:patient-messaging/dev/cursor-signing-key:SecretString:::}}',
      );
    }
    const secrets = resourcesOfType(s.templates.stateful, 'AWS::SecretsManager::Secret');
    expect(secrets.map(([, r]) => r.Properties.Name)).toEqual(['patient-messaging/dev/cursor-signing-key']);
    expect(secrets[0]?.[1].Properties.GenerateSecretString).toMatchObject({ PasswordLength: 64 });
    expect(secrets[0]?.[1].Properties.KmsKeyId).toBeDefined();
  });
});

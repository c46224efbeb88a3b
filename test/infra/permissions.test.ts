/**
 * The local stack's IAM enforcement table (local/iam-enforcement.ts) equals the
 * policies of the synthesized template, function by function, so what is refused
 * locally is exactly what AWS would refuse. Both come from the declarations
 * (functions/<name>/function.ts) through shared/function-model/permissions.ts; this
 * proves the CDK side adds nothing and drops nothing on DynamoDB, EventBridge,
 * SES and S3 (KMS, logs, X-Ray and the DLQ are outside what is emulated).
 *
 * Statements are compared as sets of (effect, action, resource, condition)
 * tuples, so CDK's policy minimization (merging statements) cannot hide a difference.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS } from '../../functions/catalog.ts';
import { DEFAULT_SENDER_ADDRESS } from '../../infra/config.ts';
import { iamEnforcement } from '../../local/iam-enforcement.ts';
import { DEFAULT_BUS_NAME } from '../../shared/config.ts';
import { IDEMPOTENCY_TABLE } from '../../shared/db/table-definition.ts';
import type { PolicyStatement } from '../../shared/function-model/permissions.ts';
import { serviceResources } from '../../shared/function-model/permissions.ts';
import {
  asArray,
  functionLocation,
  type Json,
  roleStatements,
  SYNTH_TIMEOUT,
  type Synthesized,
  shared,
} from './synth.ts';

const PSEUDO: Record<string, string> = {
  'AWS::Partition': 'aws',
  'AWS::Region': 'eu-west-3',
  'AWS::AccountId': '000000000000',
  'AWS::URLSuffix': 'amazonaws.com',
};

/** The table stream's ARN, the one data-plane grant by reference (its label exists once the stream does). */
const STREAM_ARN = 'arn:aws:dynamodb:eu-west-3:000000000000:table/patient-messaging-dev/stream/LABEL';

/** Template values to strings: pseudo parameters and joins, and the stream's import; anything else fails. */
const resolve = (value: Json): string => {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && String(value['Fn::ImportValue'] ?? '').includes('StreamArn')) {
    return STREAM_ARN;
  }
  if (value && typeof value === 'object' && 'Ref' in value && PSEUDO[value.Ref])
    return PSEUDO[value.Ref] as string;
  if (value && typeof value === 'object' && 'Fn::Join' in value) {
    const [separator, parts] = value['Fn::Join'] as [string, Json[]];
    return parts.map(resolve).join(separator);
  }
  throw new Error(`Unresolvable value in a data-plane grant: ${JSON.stringify(value)}`);
};

const DATA_PLANE = /^(dynamodb|events|ses|s3):/;

/** Every (effect, action, resource, conditions) a set of statements allows or denies. */
const tuples = (
  statements: Array<{ effect: string; actions: string[]; resources: string[]; conditions: unknown }>,
): string[] =>
  statements
    .flatMap((st) =>
      st.actions
        .filter((a) => DATA_PLANE.test(a))
        .flatMap((action) =>
          st.resources.map((resource) =>
            JSON.stringify([st.effect, action, resource, normalizeConditions(st.conditions)]),
          ),
        ),
    )
    .sort();

const normalizeConditions = (conditions: unknown) =>
  Object.fromEntries(
    Object.entries((conditions ?? {}) as Record<string, Record<string, string | string[]>>)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([operator, keys]) => [
        operator,
        Object.fromEntries(
          Object.entries(keys)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([key, values]) => [key, asArray(values).map(String).sort()]),
        ),
      ]),
  );

const fromTemplate = (statements: ReturnType<typeof roleStatements>) =>
  tuples(
    statements
      .filter((st) => asArray(st.Action).some((a) => DATA_PLANE.test(a)))
      .map((st) => ({
        effect: st.Effect,
        actions: asArray(st.Action),
        resources: asArray(st.Resource).map(resolve),
        conditions: st.Condition,
      })),
  );

const fromTable = (statements: readonly PolicyStatement[]) =>
  tuples(
    statements.map((st) => ({
      effect: st.effect,
      actions: [...st.actions],
      resources: [...st.resources],
      conditions: st.conditions,
    })),
  );

/** The dev stage's resources, by the same names the function stacks (Api, Events) build their grants from. */
const devResources = serviceResources({
  partition: 'aws',
  region: 'eu-west-3',
  accountId: '000000000000',
  tableName: 'patient-messaging-dev',
  idempotencyTableName: IDEMPOTENCY_TABLE.nameFor('patient-messaging-dev'),
  busName: DEFAULT_BUS_NAME,
  senderAddress: DEFAULT_SENDER_ADDRESS,
  configurationSetName: 'patient-messaging-dev',
  tableStreamArn: STREAM_ARN,
  // The stateful stack's name: service, stage, account and region (the audit shipper's grant).
  auditBucketName: 'patient-messaging-dev-audit-000000000000-eu-west-3',
  exportBucketName: 'patient-messaging-dev-exports-000000000000-eu-west-3',
  attachmentBucketName: 'patient-messaging-dev-attachments-000000000000-eu-west-3',
});

const enforcement = iamEnforcement({
  account: { region: 'eu-west-3', accountId: '000000000000' },
  resources: devResources,
  declarations: FUNCTIONS,
});

/** A function's role statements, from the stack that holds it (routes: the routes stack of their role and area; consumers: Events). */
const statementsOf = (name: string) => {
  const { template, scope } = functionLocation(s, name);
  return roleStatements(template, scope);
};

let s: Synthesized;
beforeAll(() => {
  s = shared('dev');
}, SYNTH_TIMEOUT);

describe('the local IAM enforcement table equals the synthesized policies', () => {
  it('covers every declared function', () => {
    expect([...enforcement.table.keys()].sort()).toEqual(FUNCTIONS.map((f) => f.name).sort());
  });

  it.each(FUNCTIONS.map((f) => f.name))('%s', (name) => {
    const synthesized = fromTemplate(statementsOf(name));
    const enforced = fromTable(enforcement.table.get(name) ?? []);
    const trigger = FUNCTIONS.find((f) => f.name === name)?.trigger;
    if (trigger === 'method-fallback' || trigger === 'websocket-authorizer') {
      // The fallback answers from the route table alone, the authorizer from the token and the pools' JWKS:
      // no data-plane grant at all, locally or in AWS.
      expect(synthesized).toEqual([]);
      expect(enforced).toEqual([]);
      return;
    }
    expect(synthesized.length, 'a function with no data-plane grant at all').toBeGreaterThan(0);
    expect(synthesized).toEqual(enforced);
  });
});

describe('least privilege, on the template', () => {
  const allDataPlane = () =>
    FUNCTIONS.flatMap((f) => statementsOf(f.name).map((st) => ({ name: f.name, st }))).filter(({ st }) =>
      asArray(st.Action).some((a) => DATA_PLANE.test(a)),
    );

  it('no role may Scan', () => {
    for (const { name, st } of allDataPlane()) {
      expect(asArray(st.Action), name).not.toContain('dynamodb:Scan');
      expect(
        asArray(st.Action).filter((a) => a.includes('*')),
        name,
      ).toEqual([]);
    }
  });

  it('BatchWriteItem only for the functions declared to batch', () => {
    const batching = new Set(FUNCTIONS.filter((f) => f.access.table?.batchWrites).map((f) => f.name));
    for (const { name, st } of allDataPlane()) {
      if (!batching.has(name)) expect(asArray(st.Action), name).not.toContain('dynamodb:BatchWriteItem');
    }
  });

  it('every write to the table is limited to the partitions of the kinds declared (dynamodb:LeadingKeys)', () => {
    for (const { name, st } of allDataPlane()) {
      const writes = asArray(st.Action).some((a) => /PutItem|UpdateItem|DeleteItem|BatchWriteItem/.test(a));
      const onMainTable = asArray(st.Resource).some((r) =>
        resolve(r).endsWith(':table/patient-messaging-dev'),
      );
      if (writes && onMainTable) {
        expect(st.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'], name).toBeDefined();
      }
    }
  });

  it('events:PutEvents only on the service bus, only as source patient-messaging, only the declared detail-types', () => {
    for (const { name, st } of allDataPlane()) {
      if (!asArray(st.Action).includes('events:PutEvents')) continue;
      expect(asArray(st.Resource).map(resolve), name).toEqual([
        `arn:aws:events:eu-west-3:000000000000:event-bus/${DEFAULT_BUS_NAME}`,
      ]);
      expect(asArray(st.Condition?.StringEquals?.['events:source']), name).toEqual(['patient-messaging']);
      const declared =
        FUNCTIONS.find((f) => f.name === name)?.access.publishes?.map((e) => e.detailType) ?? [];
      expect(asArray(st.Condition?.StringEquals?.['events:detail-type']).sort(), name).toEqual(
        [...new Set(declared)].sort(),
      );
    }
  });

  it('the thread view reads threads and appends its audit entry, and may write nothing else', () => {
    const statements = enforcement.table.get('practitioner-get-thread') ?? [];
    const writes = statements.filter((st) => st.actions.some((a) => /Put|Update|Delete/.test(a)));
    expect(writes).toEqual([
      expect.objectContaining({
        actions: ['dynamodb:PutItem'],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['AUDIT#*'] } },
      }),
    ]);
  });

  it('patient emails read the verified CONTACT# address, not the practitioner partitions (ADR 0010)', () => {
    const readKeys = (name: string) =>
      (enforcement.table.get(name) ?? [])
        .filter((st) => st.actions.includes('dynamodb:GetItem'))
        .flatMap(
          (st) =>
            (st.conditions?.['ForAllValues:StringLike'] as Record<string, string[]> | undefined)?.[
              'dynamodb:LeadingKeys'
            ] ?? [],
        );
    expect(readKeys('notify-patient')).toContain('CONTACT#*');
    // Nothing of the practitioner's: no record email, no display name.
    expect(readKeys('notify-patient')).not.toContain('PRAC#*');
    expect(readKeys('untreated-sweep')).toContain('CONTACT#*');
    // The contact item is written only by the patient write paths, the agenda consumer, and the
    // patient's own erasure (a tombstone: SPEC 11.6).
    const writers = FUNCTIONS.filter((f) => f.access.table?.write?.includes('patientContact')).map(
      (f) => f.name,
    );
    expect(writers.sort()).toEqual([
      'appointment-events',
      'patient-erase-self',
      'patient-read-thread',
      'patient-start-thread',
      'patient-write',
    ]);
  });
});

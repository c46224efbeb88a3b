import { Duration } from 'aws-cdk-lib';
import { Schedule } from 'aws-cdk-lib/aws-events';
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS } from '../../functions/catalog.ts';
import { holdsPersonalData, TARGET_RETRY } from '../../infra/events-stack.ts';
import { AGENDA_SOURCE, DEFAULT_BUS_NAME } from '../../shared/config.ts';
import {
  type CfnResource,
  CONSUMERS,
  oneByPath,
  RULES,
  resourcesOfType,
  SCHEDULES,
  SYNTH_TIMEOUT,
  type Synthesized,
  shared,
} from './synth.ts';

let s: Synthesized;
beforeAll(() => {
  s = shared('dev');
}, SYNTH_TIMEOUT);

const RETRY_POLICY = {
  MaximumEventAgeInSeconds: TARGET_RETRY.maxEventAge.toSeconds(),
  MaximumRetryAttempts: TARGET_RETRY.retryAttempts,
};

/** The single target of a rule, checked to invoke the target's consumer with its DLQ and retry policy. */
const expectConsumerTarget = (rule: CfnResource, target: string) => {
  const [functionId] = oneByPath(s.templates.events, `/Consumers/${target}/Handler/Function/Resource`);
  const [queueId] = oneByPath(s.templates.events, `/Consumers/${target}/DeadLetterQueue/Resource`);
  expect(rule.Properties.Targets).toHaveLength(1);
  expect(rule.Properties.Targets[0]).toMatchObject({
    Arn: { 'Fn::GetAtt': [functionId, 'Arn'] },
    DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } },
    RetryPolicy: RETRY_POLICY,
  });
};

describe('event rules', () => {
  it.each(RULES.map((r) => [r.name, r] as const))(
    '%s matches its pattern on its bus (the service bus; the default bus for AWS services)',
    (name, def) => {
      const [, rule] = oneByPath(s.templates.events, `/Rules/${name}/Resource`);
      // A rule on one bucket's objects also matches that bucket (its detail: test/infra/attachments.test.ts).
      expect(rule.Properties.EventPattern).toEqual({
        source: def.pattern.source,
        'detail-type': def.pattern['detail-type'],
        ...(def.objects && { detail: expect.any(Object) }),
      });
      // The stateful stack's bus, by its fixed name (no export): the same name it is created with. The rules
      // of AWS services' events (S3, GuardDuty: docs/adr/0016-attachments.md) are on the default bus.
      if (def.bus === 'default') expect(rule.Properties.EventBusName).toBe('default');
      else expect(rule.Properties.EventBusName).toBe(DEFAULT_BUS_NAME);
      expect(rule.Properties.State).toBe('ENABLED');
      expectConsumerTarget(rule, def.target);
    },
  );

  it.each(SCHEDULES.map((r) => [r.name, r] as const))(
    '%s runs at its rate on the default bus',
    (name, def) => {
      const [, rule] = oneByPath(s.templates.events, `/Schedules/${name}/Resource`);
      expect(rule.Properties.ScheduleExpression).toBe(
        Schedule.rate(Duration.minutes(def.everyMinutes)).expressionString,
      );
      expect(rule.Properties.EventBusName).toBeUndefined();
      expectConsumerTarget(rule, def.target);
    },
  );

  it('gives every rule target a DLQ and a retry policy', () => {
    const rules = resourcesOfType(s.templates.events, 'AWS::Events::Rule');
    expect(rules).toHaveLength(RULES.length + SCHEDULES.length);
    for (const [id, rule] of rules) {
      for (const target of rule.Properties.Targets) {
        expect(target.DeadLetterConfig?.Arn, id).toBeDefined();
        expect(target.RetryPolicy, id).toEqual(RETRY_POLICY);
      }
    }
  });
});

describe('dead-letter queues', () => {
  it('exist once per consumer, encrypted with the ops key, or the data key for those that receive agenda events', () => {
    const queues = resourcesOfType(s.templates.events, 'AWS::SQS::Queue');
    expect(queues).toHaveLength(CONSUMERS.length);
    for (const [id, queue] of queues) {
      expect(queue.Properties.KmsMasterKeyId, id).toEqual({
        'Fn::ImportValue': expect.stringMatching(/OpsKey|DataKey/),
      });
      expect(queue.Properties.MessageRetentionPeriod, id).toBe(14 * 24 * 3600);
    }
  });

  it('that can hold an agenda event (names, email, motive) are under the data key, never the ops key', () => {
    const resources = s.templates.events.toJSON().Resources;
    const agendaRules = resourcesOfType(s.templates.events, 'AWS::Events::Rule').filter(([, rule]) =>
      (rule.Properties.EventPattern?.source ?? []).includes(AGENDA_SOURCE),
    );
    expect(agendaRules.length).toBeGreaterThan(0);
    const agendaQueues = new Set<string>();
    for (const [ruleId, rule] of agendaRules) {
      for (const target of rule.Properties.Targets) {
        const queueId = target.DeadLetterConfig?.Arn?.['Fn::GetAtt']?.[0];
        expect(queueId, ruleId).toBeDefined();
        agendaQueues.add(queueId);
        // The function's own failed asynchronous invocations go to the same queue.
        const functionId = target.Arn['Fn::GetAtt'][0];
        expect(resources[functionId].Properties.DeadLetterConfig, ruleId).toEqual({
          TargetArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
        });
      }
    }
    for (const queueId of agendaQueues) {
      expect(resources[queueId].Properties.KmsMasterKeyId, queueId).toEqual({
        'Fn::ImportValue': expect.stringContaining('DataKey'),
      });
    }
    const others = resourcesOfType(s.templates.events, 'AWS::SQS::Queue').filter(
      ([id]) => !agendaQueues.has(id),
    );
    expect(others.length).toBeGreaterThan(0);
    for (const [id, queue] of others) {
      expect(queue.Properties.KmsMasterKeyId, id).toEqual({
        'Fn::ImportValue': expect.stringContaining('OpsKey'),
      });
    }
    expect(FUNCTIONS.filter(holdsPersonalData).map((f) => f.name)).toEqual(['appointment-events']);
  });

  it.each(CONSUMERS)(
    '%s DLQ has a fixed physical name (the monitoring stack watches it by name)',
    (target) => {
      const [, queue] = oneByPath(s.templates.events, `/Consumers/${target}/DeadLetterQueue/Resource`);
      expect(queue.Properties.QueueName).toBe(`patient-messaging-dev-${target}-dlq`);
    },
  );

  it.each(CONSUMERS)('%s DLQ refuses plain HTTP and accepts only its own rules', (target) => {
    const [queueId] = oneByPath(s.templates.events, `/Consumers/${target}/DeadLetterQueue/Resource`);
    const policies = resourcesOfType(s.templates.events, 'AWS::SQS::QueuePolicy').filter(([, p]) =>
      p.Properties.Queues.some((q: unknown) => JSON.stringify(q) === JSON.stringify({ Ref: queueId })),
    );
    expect(policies).toHaveLength(1);
    const statements = policies[0]?.[1].Properties.PolicyDocument.Statement;
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
    const fromEvents = statements.filter(
      (st: { Principal?: { Service?: string } }) => st.Principal?.Service === 'events.amazonaws.com',
    );
    const rulesOfTarget = [...RULES, ...SCHEDULES].filter((r) => r.target === target);
    expect(fromEvents).toHaveLength(rulesOfTarget.length);
    for (const st of fromEvents) {
      expect(st.Action).toBe('sqs:SendMessage');
      expect(st.Condition.ArnEquals['aws:SourceArn']).toEqual({ 'Fn::GetAtt': [expect.any(String), 'Arn'] });
    }
  });
});

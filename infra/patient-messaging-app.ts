import { type App, type Environment, Tags } from 'aws-cdk-lib';
import { FUNCTIONS } from '../functions/catalog.ts';
import { type FunctionDeclaration, routeKey } from '../shared/function-model/declaration.ts';
import {
  eventRules,
  httpRoutes,
  methodFallback,
  schedules as schedulesOf,
} from '../shared/function-model/triggers.ts';
import { ApiStack } from './api-stack.ts';
import {
  APP_NAME,
  DEFAULT_REGION,
  DEFAULT_SENDER_ADDRESS,
  eeaRegion,
  isStageName,
  SERVICE_NAME,
  STAGES,
  type StageConfig,
} from './config.ts';
import { EventsStack } from './events-stack.ts';
import { type MonitoredFunction, MonitoringStack } from './monitoring-stack.ts';
import type { FunctionResources } from './service-functions.ts';
import { StatefulStack } from './stateful-stack.ts';

export interface PatientMessagingOptions {
  /** Default: context `stage`, else dev. */
  readonly stage?: string;
  /** Default: the declared functions (functions/catalog.ts); tests may pass their own. */
  readonly functions?: readonly FunctionDeclaration[];
}

export interface PatientMessagingStacks {
  readonly config: StageConfig;
  /** Keys, table, backups, bus, user pool, SES: retained, rarely changed. */
  readonly stateful: StatefulStack;
  /** HTTP API and the route functions. */
  readonly api: ApiStack;
  /** Event consumers, scheduled jobs, their DLQs, rules and schedules. */
  readonly events: EventsStack;
  /** Alarms, their topic and the ops dashboard, over the Api and Events stacks. */
  readonly monitoring: MonitoringStack;
}

/**
 * The four stacks of one stage, in deploy order: Stateful, then Api and Events (independent of each other),
 * then Monitoring (docs/adr/0001-stack-split.md). Settings come from context so that `cdk synth` needs no
 * parameter values:
 * - `stage`: dev | prod (cdk.json: dev);
 * - `region`: else eu-west-3 (Paris), and only one of EEA_REGIONS: patient data stays in the EEA (any
 *   other region fails the synth). CDK_DEFAULT_REGION is deliberately not a fallback: the CDK CLI sets
 *   it to us-east-1 whenever no region is configured;
 * - `senderAddress`: the SES sender. Context rather than a CfnParameter because the address is part of
 *   the IAM policy (identity ARN, ses:FromAddress condition) and of the functions' environment: a
 *   synth-time value keeps those literal, reviewable and testable, and deploys need no --parameters.
 */
export const createPatientMessaging = (
  app: App,
  options: PatientMessagingOptions = {},
): PatientMessagingStacks => {
  const stage = options.stage ?? app.node.tryGetContext('stage') ?? 'dev';
  if (!isStageName(stage)) throw new Error(`Unknown stage "${String(stage)}": use -c stage=dev|prod`);
  const config = STAGES[stage];
  const env: Environment = {
    account: process.env.CDK_DEFAULT_ACCOUNT,
    region: eeaRegion(app.node.tryGetContext('region') ?? DEFAULT_REGION),
  };
  const senderAddress: string = app.node.tryGetContext('senderAddress') ?? DEFAULT_SENDER_ADDRESS;
  const functions = options.functions ?? FUNCTIONS;
  assertUniqueNames(functions);
  const prefix = `${APP_NAME}-${stage}`;

  const stateful = new StatefulStack(app, `${prefix}-Stateful`, {
    env,
    config,
    senderAddress,
    description: `Patient messaging (${stage}): keys, table, backups, event bus, user pool, SES identity`,
    terminationProtection: stage === 'prod',
  });
  // Names are literals (no export); the keys are references to the stateful stack's pinned exports.
  const resources: FunctionResources = {
    tableName: stateful.tableName,
    tableStreamArn: stateful.table.tableStreamArn as string,
    dataKey: stateful.dataKey,
    opsKey: stateful.opsKey,
    configurationSetName: stateful.configurationSetName,
    senderAddress,
    exportBucketName: stateful.exportBucketName,
    medicalRecordRetentionYears: config.medicalRecordRetentionYears,
    auditBucketName: stateful.auditBucketName,
    attachmentBucketName: stateful.attachmentBucketName,
  };

  const api = new ApiStack(app, `${prefix}-Api`, {
    env,
    config,
    description: `Patient messaging (${stage}): HTTP API, its stage and access logs, the route functions`,
    resources: {
      ...resources,
      userPools: {
        patients: { pool: stateful.userPool, client: stateful.userPoolClient },
        professionals: { pool: stateful.professionalPool, client: stateful.professionalPoolClient },
      },
    },
    routes: httpRoutes(functions),
    methodFallback: methodFallback(functions),
  });
  const events = new EventsStack(app, `${prefix}-Events`, {
    env,
    config,
    description: `Patient messaging (${stage}): event consumers, scheduled jobs, their DLQs, rules and schedules`,
    resources,
    consumers: functions.filter((f) => f.trigger !== 'http' && f.trigger !== 'method-fallback'),
  });

  const monitored: MonitoredFunction[] = [
    ...[...api.routeFunctions].map(([name, fn]) => ({ name, fn })),
    ...[...events.consumers].map(([name, consumer]) => ({ name, fn: consumer.handler })),
  ].map(({ name, fn }) => {
    if (!fn.functionName) throw new Error(`Function ${name} has no physical name to be monitored by`);
    const readsStream = functions.some((f) => f.name === name && f.trigger === 'stream');
    return { name, kind: fn.kind, functionName: fn.functionName, ...(readsStream && { readsStream }) };
  });
  const monitoring = new MonitoringStack(app, `${prefix}-Monitoring`, {
    env,
    config,
    description: `Patient messaging (${stage}): alarms, their topic and the ops dashboard`,
    opsKey: stateful.opsKey,
    tableName: stateful.tableName,
    apiId: api.api.apiId,
    functions: monitored,
    deadLetterQueues: [...events.consumers].map(([target, consumer]) => ({
      target,
      queueName: consumer.queueName,
    })),
  });

  // Deploy order. The table and the bus are imported by name, which CloudFormation cannot see: the
  // dependencies are explicit rather than left to whichever references happen to exist. Api and Events do
  // not depend on each other (CDK may deploy them in parallel); Monitoring watches both by name.
  api.addStackDependency(stateful);
  events.addStackDependency(stateful);
  monitoring.addStackDependency(stateful);
  monitoring.addStackDependency(api);
  monitoring.addStackDependency(events);

  Tags.of(app).add('service', SERVICE_NAME);
  Tags.of(app).add('stage', stage);
  return { config, stateful, api, events, monitoring };
};

const assertUniqueNames = (functions: readonly FunctionDeclaration[]): void => {
  const duplicates = (values: string[]) => values.filter((v, i) => values.indexOf(v) !== i);
  const problems = [
    ...duplicates(functions.map((f) => f.name)).map((n) => `function name "${n}" is used twice`),
    ...duplicates(httpRoutes(functions).map(routeKey)).map((k) => `route key "${k}" is used twice`),
    ...duplicates([
      ...eventRules(functions).map((r) => r.name),
      ...schedulesOf(functions).map((s) => s.name),
    ]).map((n) => `rule/schedule name "${n}" is used twice`),
  ];
  if (problems.length > 0) throw new Error(`Invalid function declarations: ${problems.join('; ')}`);
};

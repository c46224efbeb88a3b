import { type App, type Environment, Tags } from 'aws-cdk-lib';
import { FUNCTIONS } from '../functions/catalog.ts';
import {
  type FunctionDeclaration,
  isRealtime,
  routeKey,
  USER_POOL_OF_ROLE,
} from '../shared/function-model/declaration.ts';
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
import { RealtimeStack } from './realtime-stack.ts';
import { planRoutesStacks, routesStackContents } from './route-areas.ts';
import { RoutesStack } from './routes-stack.ts';
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
  /** Keys, table, backups, bus, user pools, SES: retained, rarely changed. */
  readonly stateful: StatefulStack;
  /** The HTTP API, its JWT authorizers, stage and access logs, and the 405 fallback. */
  readonly api: ApiStack;
  /** Per role, its main routes stack and one per area group (infra/route-areas.ts): route functions and routes. */
  readonly routes: readonly RoutesStack[];
  /** Event consumers, scheduled jobs, their DLQs, rules and schedules. */
  readonly events: EventsStack;
  /** The WebSocket API (live inbox), its authorizer and routes, and the notifier that posts to it. */
  readonly realtime: RealtimeStack;
  /** Alarms, their topic and the ops dashboard, over the function stacks. */
  readonly monitoring: MonitoringStack;
}

/**
 * The stacks of one stage, in deploy order: Stateful; Api, Events and Realtime (independent of each
 * other); the routes stacks (per role, by area), after Api; then Monitoring (docs/adr/0001-stack-split.md). Settings
 * come from context so that `cdk synth` needs no parameter values:
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

  const userPools = {
    patients: { pool: stateful.userPool, client: stateful.userPoolClient },
    professionals: { pool: stateful.professionalPool, client: stateful.professionalPoolClient },
  };
  const api = new ApiStack(app, `${prefix}-Api`, {
    env,
    config,
    description: `Patient messaging (${stage}): HTTP API, its JWT authorizers, stage and access logs, the 405 fallback`,
    resources: { ...resources, userPools },
    routes: httpRoutes(functions),
    methodFallback: methodFallback(functions),
  });
  // The routes stacks: per role, its main stack and one per area group (infra/route-areas.ts). A new
  // role's routes (`/v1/<role>/…`) get their own stack, behind the authorizer of its pool
  // (USER_POOL_OF_ROLE), and a new route its area's stack, without a change here.
  const routes = planRoutesStacks(httpRoutes(functions)).map(
    (plan) =>
      new RoutesStack(app, `${prefix}-${plan.name}`, {
        env,
        config,
        description: `Patient messaging (${stage}): ${routesStackContents(plan)}, their functions and integrations`,
        resources,
        role: plan.role,
        group: plan.group,
        routes: plan.routes,
        apiId: api.api.apiId,
        authorizerId: api.authorizers[USER_POOL_OF_ROLE[plan.role]].authorizerId,
      }),
  );
  const events = new EventsStack(app, `${prefix}-Events`, {
    env,
    config,
    description: `Patient messaging (${stage}): event consumers, scheduled jobs, their DLQs, rules and schedules`,
    resources,
    consumers: functions.filter(
      (f) => f.trigger !== 'http' && f.trigger !== 'method-fallback' && !isRealtime(f),
    ),
  });
  const realtime = new RealtimeStack(app, `${prefix}-Realtime`, {
    env,
    config,
    description: `Patient messaging (${stage}): WebSocket API (live inbox), its authorizer and routes, the notifier`,
    resources: { ...resources, userPools },
    functions: functions.filter(isRealtime),
  });

  // Routes in catalog order, whichever stack holds them: the dashboard does not change with the grouping.
  const catalogIndex = (name: string) => functions.findIndex((f) => f.name === name);
  const routeFunctions = routes
    .flatMap((stack) => [...stack.routeFunctions])
    .sort(([a], [b]) => catalogIndex(a) - catalogIndex(b));
  const monitored: MonitoredFunction[] = [
    ...[...routeFunctions, ...api.routeFunctions].map(([name, fn]) => ({ name, fn })),
    ...[...events.consumers].map(([name, consumer]) => ({ name, fn: consumer.handler })),
    ...[...realtime.functions].map(([name, fn]) => ({ name, fn })),
    ...[...realtime.consumers].map(([name, consumer]) => ({ name, fn: consumer.handler })),
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
    deadLetterQueues: [...events.consumers, ...realtime.consumers].map(([target, consumer]) => ({
      target,
      queueName: consumer.queueName,
    })),
  });

  // Deploy order. The table and the bus are imported by name, which CloudFormation cannot see: the
  // dependencies are explicit rather than left to whichever references happen to exist. Api and Events do
  // not depend on each other (CDK may deploy them in parallel). The routes stacks attach to the API and
  // its authorizers, so they come after Api (the roles' stacks may deploy in parallel with each other);
  // Monitoring watches every function stack by name.
  api.addStackDependency(stateful);
  events.addStackDependency(stateful);
  for (const stack of routes) {
    stack.addStackDependency(stateful);
    stack.addStackDependency(api);
    // A role's area groups after its main stack: when an area leaves the main stack for a group, the
    // main stack must delete its functions and routes (fixed names, unique route keys) before the
    // group's stack creates them again (ADR 0001, the one-time move).
    const main = routes.find((r) => r.role === stack.role && r.group === undefined);
    if (stack.group !== undefined && main) stack.addStackDependency(main);
  }
  monitoring.addStackDependency(stateful);
  monitoring.addStackDependency(api);
  for (const stack of routes) monitoring.addStackDependency(stack);
  monitoring.addStackDependency(events);
  realtime.addStackDependency(stateful);
  monitoring.addStackDependency(realtime);

  Tags.of(app).add('service', SERVICE_NAME);
  Tags.of(app).add('stage', stage);
  return { config, stateful, api, routes, events, realtime, monitoring };
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

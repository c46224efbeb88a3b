import { type App, type Environment, Tags } from 'aws-cdk-lib';
import type { FunctionDeclaration } from '../shared/function-model/declaration.ts';
import {
  APP_NAME,
  DEFAULT_REGION,
  DEFAULT_SENDER_ADDRESS,
  isStageName,
  SERVICE_NAME,
  STAGES,
  type StageConfig,
} from './config.ts';
import { StatefulStack } from './stateful-stack.ts';
import { StatelessStack } from './stateless-stack.ts';

export interface PatientMessagingOptions {
  /** Default: context `stage`, else dev. */
  readonly stage?: string;
  /** Default: the declared functions (functions/catalog.ts); tests may pass their own. */
  readonly functions?: readonly FunctionDeclaration[];
}

export interface PatientMessagingStacks {
  readonly config: StageConfig;
  readonly stateful: StatefulStack;
  readonly stateless: StatelessStack;
}

/**
 * Both stacks of one stage. Settings come from context so that `cdk synth` needs no parameter values:
 * - `stage`: dev | prod (cdk.json: dev);
 * - `region`: else eu-west-3 (Paris, EEA: patient data stays in the EEA). CDK_DEFAULT_REGION is
 *   deliberately not a fallback: the CDK CLI sets it to us-east-1 whenever no region is configured,
 *   which would silently move health data out of the EEA. Choosing another region is explicit;
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
    region: app.node.tryGetContext('region') ?? DEFAULT_REGION,
  };
  const senderAddress: string = app.node.tryGetContext('senderAddress') ?? DEFAULT_SENDER_ADDRESS;

  const stateful = new StatefulStack(app, `${APP_NAME}-${stage}-Stateful`, {
    env,
    config,
    senderAddress,
    description: `Patient messaging (${stage}): keys, table, backups, event bus, user pool, SES identity`,
    terminationProtection: stage === 'prod',
  });
  const stateless = new StatelessStack(app, `${APP_NAME}-${stage}-Stateless`, {
    env,
    config,
    description: `Patient messaging (${stage}): functions, HTTP API, event rules, alarms, dashboard`,
    stateful: {
      tableName: stateful.tableName,
      dataKey: stateful.dataKey,
      opsKey: stateful.opsKey,
      bus: stateful.bus,
      userPool: stateful.userPool,
      userPoolClient: stateful.userPoolClient,
      configurationSetName: stateful.configurationSetName,
      senderAddress,
    },
    ...(options.functions && { functions: options.functions }),
  });
  // The table is imported by name: make the ordering explicit rather than relying on other references.
  stateless.addStackDependency(stateful);

  Tags.of(app).add('service', SERVICE_NAME);
  Tags.of(app).add('stage', stage);
  return { config, stateful, stateless };
};

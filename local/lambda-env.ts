/**
 * The environment the Lambdas see (shared/config.ts ENV), pointed at the local
 * emulators. It must be in process.env BEFORE any handler module is imported.
 */
import { randomBytes } from 'node:crypto';
import { ATTACHMENT_ENV, ENV, PERSONAL_DATA_ENV, REALTIME_ENV } from '../shared/config.ts';
import { DEFAULT_QUOTAS, type Quotas } from '../shared/domain/quotas.ts';
import { LOCAL_REGION } from './constants.ts';

/**
 * The cursor signing key of this process's stacks: CURSOR_SIGNING_KEY when the
 * developer set one, else random per process (cursors then do not survive a
 * restart of `npm start`, which is fine locally). One value per process, so the
 * Lambda environment, and the handler modules that captured it, stay the same
 * for every stack a process starts.
 */
const LOCAL_CURSOR_SIGNING_KEY = process.env[ENV.cursorSigningKey] || randomBytes(32).toString('base64url');

export interface LambdaEnvironmentInput {
  tableName: string;
  eventBusName: string;
  dynamoDbEndpoint: string;
  eventBridgeEndpoint: string;
  sesEndpoint: string;
  sesFromAddress: string;
  sesConfigurationSet: string;
  appBaseUrl: string;
  idempotencyTableName: string;
  /** The local S3-compatible server, the audit archive and the export bucket in it. */
  s3Endpoint: string;
  /** The stage's quotas (default: the dev values); lower ones let a load test reach them quickly. */
  quotas?: Quotas;
  auditBucketName: string;
  exportBucketName: string;
  /** The local WebSocket API's management endpoint, and the pools its authorizer verifies against. */
  webSocketManagementEndpoint: string;
  webSocketAuthPools: Record<string, { issuer: string; audience: string; jwksUrl: string }>;
  attachmentBucketName: string;
}

export const lambdaEnvironment = (input: LambdaEnvironmentInput): Record<string, string> => ({
  [ENV.tableName]: input.tableName,
  [ENV.eventBusName]: input.eventBusName,
  [ENV.dynamoDbEndpoint]: input.dynamoDbEndpoint,
  [ENV.eventBridgeEndpoint]: input.eventBridgeEndpoint,
  [ENV.sesEndpoint]: input.sesEndpoint,
  [ENV.sesFromAddress]: input.sesFromAddress,
  [ENV.sesConfigurationSet]: input.sesConfigurationSet,
  [ENV.appBaseUrl]: input.appBaseUrl,
  [ENV.idempotencyTableName]: input.idempotencyTableName,
  [ENV.s3Endpoint]: input.s3Endpoint,
  [ENV.auditBucketName]: input.auditBucketName,
  [PERSONAL_DATA_ENV.exportBucketName]: input.exportBucketName,
  [REALTIME_ENV.managementEndpoint]: input.webSocketManagementEndpoint,
  [REALTIME_ENV.authPools]: JSON.stringify(input.webSocketAuthPools),
  [ATTACHMENT_ENV.bucketName]: input.attachmentBucketName,
  // Nothing scans for malware locally (README): clean = the type and size check alone.
  [ATTACHMENT_ENV.malwareScan]: 'off',
  // The dev stage's values (infra/config.ts uses the same DEFAULT_QUOTAS for dev).
  [ENV.quotas]: JSON.stringify(input.quotas ?? DEFAULT_QUOTAS),
  [ENV.cursorSigningKey]: LOCAL_CURSOR_SIGNING_KEY,
  [ENV.localStack]: '1',
  AWS_REGION: LOCAL_REGION,
  AWS_DEFAULT_REGION: LOCAL_REGION,
  // The emulators only want some credentials; never real ones.
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
});

/** Sets the variables; also drops AWS_PROFILE/AWS_SESSION_TOKEN so no real credentials are picked up. */
export const applyLambdaEnvironment = (vars: Record<string, string>): void => {
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_SESSION_TOKEN;
  Object.assign(process.env, vars);
  // X-Ray has no daemon locally; let the Powertools tracer stay quiet unless asked.
  process.env.POWERTOOLS_TRACE_ENABLED ??= 'false';
  // EMF metric lines are for CloudWatch; locally they drown the logs (set it to 'false' to see them).
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
};

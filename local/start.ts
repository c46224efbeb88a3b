/**
 * `npm start`: the local stack on fixed ports, with persistent data.
 *
 *   PORT (3000)  WS_PORT (3001)  DYNAMODB_PORT (8000)  SES_PORT (8005)  BUS_PORT (4010)  S3_PORT (4569)
 *   TABLE_NAME (patient-messaging-local)  LOCAL_SCHEDULE_SECONDS (60)
 *   LOCAL_ALLOW_MISSING_HANDLERS=1  serve 501 for handlers not written yet
 *
 * DynamoDB data lives in .local-data/dynamodb, S3 objects (the audit archive) in
 * .local-data/s3 and the token signing key in .local-data/jwt (all git-ignored), so tables and tokens survive restarts.
 * Ctrl-C (SIGINT) or SIGTERM stops every child process.
 */
import { join } from 'node:path';
import { createLogger } from './logger.ts';
import { portFromEnv } from './net.ts';
import { DEFAULT_TABLE_NAME, type LocalStack, REPO_ROOT, startLocalStack } from './stack.ts';

const logger = createLogger('local');

const main = async () => {
  const env = { ...process.env };
  const dataDir = join(REPO_ROOT, '.local-data');
  const scheduleSeconds = Number(env.LOCAL_SCHEDULE_SECONDS ?? 60);
  if (!Number.isFinite(scheduleSeconds) || scheduleSeconds < 0) {
    throw new Error(
      `LOCAL_SCHEDULE_SECONDS must be a number of seconds, got "${env.LOCAL_SCHEDULE_SECONDS}"`,
    );
  }

  let stack: LocalStack | undefined;
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal}: stopping…`);
    // A second Ctrl-C while stopping still ends the process, and DynamoDB Local with it.
    process.once('SIGINT', () => process.exit(130));
    await stack?.stop();
    logger.info('stopped');
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));

  stack = await startLocalStack({
    apiPort: portFromEnv('PORT', 3000, env),
    webSocketPort: portFromEnv('WS_PORT', 3001, env),
    busPort: portFromEnv('BUS_PORT', 4010, env),
    sesPort: portFromEnv('SES_PORT', 8005, env),
    s3: { port: portFromEnv('S3_PORT', 4569, env), directory: join(dataDir, 's3') },
    dynamoDb: { port: portFromEnv('DYNAMODB_PORT', 8000, env), dataDir: join(dataDir, 'dynamodb') },
    tableName: env.TABLE_NAME || DEFAULT_TABLE_NAME,
    auth: { keyFile: join(dataDir, 'jwt', 'signing-key.json') },
    scheduleIntervalSeconds: scheduleSeconds,
    allowMissingHandlers:
      env.LOCAL_ALLOW_MISSING_HANDLERS === '1' || env.LOCAL_ALLOW_MISSING_HANDLERS === 'true',
    ...(env.APP_BASE_URL ? { appBaseUrl: env.APP_BASE_URL } : {}),
    logger,
  });
  if (stopping) {
    await stack.stop();
    return;
  }
  const { urls } = stack;
  // Bound to 127.0.0.1; printed as localhost, which is also the token issuer's host.
  const apiUrl = urls.api.replace('//127.0.0.1:', '//localhost:');
  logger.info(
    [
      'patient messaging — local stack ready',
      `  API             ${apiUrl}`,
      `  API docs        ${urls.docs}`,
      `  WebSocket       ${urls.webSocket}/?token=<ID token>   (live inbox notifications, docs/api-guide.md)`,
      `  WS management   ${urls.webSocketManagement}/@connections/<id>   (what the notifier posts to)`,
      `  get a token     curl -s -X POST ${apiUrl}/local/token -H 'content-type: application/json' -d '{"sub":"dr-1","role":"practitioner"}'`,
      `  JWKS            ${apiUrl}/local/.well-known/jwks.json`,
      `  local events    ${apiUrl}/local/events   (POST one entry, GET the log)`,
      `  stream DLQs     ${apiUrl}/local/stream-dead-letters   (replay: npm run stream:redrive -- --local --from-file)`,
      `  run a sweep     POST ${apiUrl}/local/sweep   (schedules: ${stack.scheduler.names.join(', ') || 'none yet'})`,
      `  local clock     ${apiUrl}/local/clock   (POST {"advance":"PT25H"} or {"set":"<ISO-8601>"})`,
      `  SES inbox       ${urls.sesInbox}`,
      `  S3 (exports)    ${urls.s3}`,
      `  DynamoDB        ${urls.dynamoDb}  table ${stack.tableName}`,
      `  event bus       ${urls.eventBus}  (bus ${stack.busName})`,
      `  S3 (local)      ${urls.s3}  audit bucket ${stack.auditBucket}  (npm run audit:verify; no Object Lock locally)`,
      'Ctrl-C to stop.',
    ].join('\n'),
  );
};

main().catch((error: unknown) => {
  logger.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});

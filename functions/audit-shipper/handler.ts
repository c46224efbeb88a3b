import { ENV, optionalEnv, requireEnv } from '../../shared/config.ts';
import { createDynamoDbClient, documentClientOver } from '../../shared/db/client.ts';
import { createAuditChainRepository } from '../../shared/repositories/audit-chain-repository.ts';
import { auditArchiveAdapter } from '../../shared/runtime/audit-archive.ts';
import { systemClock } from '../../shared/runtime/clock.ts';
import {
  type AwsService,
  type DecoratableClient,
  localEmulation,
} from '../../shared/runtime/local-emulation.ts';
import { tracer } from '../../shared/runtime/logger.ts';
import { plainStreamConsumer } from '../../shared/runtime/plain-stream-consumer.ts';
import { shipAuditRecords } from '../../shared/use-cases/audit-shipping.ts';
import { declaration } from './function.ts';

// As shared/runtime/function-deps.ts prepares clients (local IAM enforcement, X-Ray), without the service's Deps.
const context = {
  client<C extends DecoratableClient>(service: AwsService, client: C): C {
    localEmulation().decorateClient?.(service, client, declaration);
    return tracer.captureAWSv3Client(client as never) as C;
  },
};
const endpoint = optionalEnv(ENV.dynamoDbEndpoint);
const ports = {
  chain: createAuditChainRepository({
    client: documentClientOver(
      context.client('dynamodb', createDynamoDbClient(endpoint ? { endpoint } : {})),
    ),
    tableName: requireEnv(ENV.tableName),
  }),
  archive: auditArchiveAdapter(context),
  clock: localEmulation().clock ?? systemClock,
};

/** Audit entries from the table stream → one hash-chained object each in the Object Lock bucket. */
export const handler = plainStreamConsumer(declaration, (records) => shipAuditRecords(ports, records));

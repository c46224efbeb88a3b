import { ENV, optionalEnv, requireEnv } from '../../shared/config.ts';
import { createDynamoDbClient, documentClientOver } from '../../shared/db/client.ts';
import { streamConsumer } from '../../shared/events-consumer.ts';
import { createAuditChainRepository } from '../../shared/repositories/audit-chain-repository.ts';
import { auditArchiveAdapter } from '../../shared/runtime/audit-archive.ts';
import { systemClock } from '../../shared/runtime/clock.ts';
import { adapterContext } from '../../shared/runtime/function-deps.ts';
import { localEmulation } from '../../shared/runtime/local-emulation.ts';
import { shipAuditRecords } from '../../shared/use-cases/audit-shipping.ts';
import { declaration } from './function.ts';

const context = adapterContext(declaration);
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
export const handler = streamConsumer(declaration, (records) => shipAuditRecords(ports, records));

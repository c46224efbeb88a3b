/**
 * The attachment functions' ports beyond Deps (docs/adr/0016-attachments.md): the objects (S3) and,
 * for the functions that create or check attachments, their pre-message writes, on a DynamoDB client of
 * the function's own (decorated like the others: locally, the declaration's grants are enforced on it).
 * Built at cold start by those handlers only, so the message-writing bundles never carry them.
 */
import { ENV, optionalEnv, requireEnv } from '../config.ts';
import { createDynamoDbClient, documentClientOver } from '../db/client.ts';
import type { FunctionDeclaration } from '../function-model/declaration.ts';
import { createAttachmentChecksRepository } from '../repositories/attachment-checks-repository.ts';
import type { AttachmentPorts } from '../use-cases/attachments.ts';
import { s3AttachmentFiles } from './attachment-files.ts';
import { adapterContext } from './function-deps.ts';

/** The pre-message writes (creation, checks), on the function's own DynamoDB client. */
export const attachmentChecks = (declaration: FunctionDeclaration) => {
  const endpoint = optionalEnv(ENV.dynamoDbEndpoint);
  const client = adapterContext(declaration).client(
    'dynamodb',
    createDynamoDbClient(endpoint ? { endpoint } : {}),
  );
  return createAttachmentChecksRepository({
    client: documentClientOver(client),
    tableName: requireEnv(ENV.tableName),
  });
};

export const attachmentPorts = (declaration: FunctionDeclaration): AttachmentPorts => ({
  files: s3AttachmentFiles(),
  checks: attachmentChecks(declaration),
});

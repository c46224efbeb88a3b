/**
 * The ports of the export and erasure functions (PersonalDataPorts): the
 * personal-data repository on a DynamoDB client of the function's own (decorated
 * like the others: locally, the declaration's grants are enforced on it) and, when
 * the declaration grants export files, the export store. Built at cold start by
 * those handlers only, so the other Lambdas never bundle it (ADR 0006's budget).
 */
import { ENV, optionalEnv, requireEnv } from '../config.ts';
import { createDynamoDbClient, documentClientOver } from '../db/client.ts';
import type { FunctionDeclaration } from '../function-model/declaration.ts';
import { createPersonalDataRepository } from '../repositories/personal-data-repository.ts';
import type { PersonalDataPorts } from '../use-cases/exports.ts';
import { s3ExportStore } from './export-store.ts';
import { adapterContext } from './function-deps.ts';

export const personalDataPorts = (declaration: FunctionDeclaration): PersonalDataPorts => {
  const endpoint = optionalEnv(ENV.dynamoDbEndpoint);
  const client = adapterContext(declaration).client(
    'dynamodb',
    createDynamoDbClient(endpoint ? { endpoint } : {}),
  );
  const db = { client: documentClientOver(client), tableName: requireEnv(ENV.tableName) };
  return {
    data: createPersonalDataRepository(db),
    store: (declaration.access.exportFiles ?? []).length > 0 ? s3ExportStore() : null,
  };
};

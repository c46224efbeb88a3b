import { AUDIT_PK_PREFIX } from '../../shared/db/keys.ts';
import { streamFunction } from '../../shared/function-model/declaration.ts';

/**
 * Ships every audit entry from the table's stream to the Object Lock bucket, as a
 * per-subject hash chain (shared/use-cases/audit-shipping.ts, docs/adr/0012-audit-object-lock.md).
 */
export const declaration = streamFunction({
  name: 'audit-shipper',
  summary: 'Copies audit entries from the table stream into the Object Lock bucket, hash-chained per subject',
  stream: {
    // Audit items only, filtered at the source (never a message). INSERTs are shipped; a MODIFY or REMOVE of an
    // entry is reported (it is tampering, or the TTL after 20 years).
    filters: [{ dynamodb: { Keys: { pk: { S: [{ prefix: AUDIT_PK_PREFIX }] } } } }],
    batchSize: 100,
    maxBatchingWindowSeconds: 1,
    retryAttempts: 20,
    maxRecordAgeSeconds: 24 * 60 * 60,
    // Records of one subject (one partition key) stay in order whatever the factor.
    parallelizationFactor: 10,
  },
  access: {
    table: { read: ['auditHead'], write: ['auditHead'] },
    archivesAudit: true,
  },
});

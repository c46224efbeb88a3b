/**
 * Verifies the shipped audit chains (docs/runbook.md "Audit trail: verify the chain").
 *
 *   npm run audit:verify                        every subject in the bucket
 *   npm run audit:verify -- --subject THREAD#<threadId>
 *   npm run audit:verify -- --subject PRAC#<practitionerId> --grace-minutes 60
 *   npm run audit:verify -- --no-table          the bucket alone
 *
 * Against AUDIT_BUCKET_NAME and TABLE_NAME (defaults: the local stack's), at
 * S3_ENDPOINT / DYNAMODB_ENDPOINT when set (npm start prints them; defaults
 * 127.0.0.1:4569 / :8000 when neither AUDIT_BUCKET_NAME nor AWS_REGION is set),
 * else the AWS account of the shell's credentials (read-only: s3:ListBucket,
 * s3:GetObject on the bucket, dynamodb:GetItem/Query on AUDIT# and AUDITHEAD#).
 * Prints one JSON line per finding and a summary; exits 1 on any finding.
 */
import { parseArgs } from 'node:util';
import { createDocumentClient } from '../shared/db/client.ts';
import { auditBucketNameFor } from '../shared/function-model/permissions.ts';
import { createS3Client } from '../shared/runtime/s3-client.ts';
import { verifyAuditArchive } from './audit-verification.ts';

const { values } = parseArgs({
  options: {
    subject: { type: 'string' },
    'grace-minutes': { type: 'string' },
    'no-table': { type: 'boolean', default: false },
  },
});
if (values.subject !== undefined && !/^(THREAD|PRAC)#[^/#]{1,128}$/.test(values.subject)) {
  process.stderr.write('--subject must be THREAD#<threadId> or PRAC#<practitionerId>\n');
  process.exit(2);
}
const local = !process.env.AUDIT_BUCKET_NAME && !process.env.AWS_REGION;
const region = process.env.AWS_REGION ?? 'eu-west-3';
const tableName = process.env.TABLE_NAME ?? 'patient-messaging-local';
const s3Endpoint = process.env.S3_ENDPOINT ?? (local ? 'http://127.0.0.1:4569' : undefined);
const dynamoDbEndpoint = process.env.DYNAMODB_ENDPOINT ?? (local ? 'http://127.0.0.1:8000' : undefined);
if (local) {
  // DynamoDB Local wants some credentials; never real ones.
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
}

const report = await verifyAuditArchive({
  s3: createS3Client({ region, ...(s3Endpoint && { endpoint: s3Endpoint }) }),
  bucket: process.env.AUDIT_BUCKET_NAME ?? auditBucketNameFor(tableName),
  ...(!values['no-table'] && {
    db: {
      client: createDocumentClient({ region, ...(dynamoDbEndpoint && { endpoint: dynamoDbEndpoint }) }),
      tableName,
    },
  }),
  ...(values.subject && { subject: values.subject }),
  ...(values['grace-minutes'] && { graceMinutes: Number(values['grace-minutes']) }),
});
for (const finding of report.findings) process.stdout.write(`${JSON.stringify(finding)}\n`);
const { findings, ...counts } = report;
process.stdout.write(
  `${JSON.stringify({ ...counts, findings: findings.length, ok: findings.length === 0 })}\n`,
);
process.exit(findings.length === 0 ? 0 : 1);

import { PutObjectCommand, type S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { ENV, optionalEnv, requireEnv } from '../config.ts';
import type { AuditArchive } from '../use-cases/audit-shipping.ts';
import type { AwsService, DecoratableClient } from './local-emulation.ts';
import { createS3Client } from './s3-client.ts';

/**
 * The Object Lock bucket as the shipper's archive. Every PutObject carries
 * `If-None-Match: *`: S3 refuses (412) to add a version to a key that exists, and
 * the bucket policy and the function's role refuse any PutObject without it
 * (`s3:if-none-match`), so a link, once written, is never shadowed by a newer
 * version. A 412 here means this link was written by an earlier attempt of the
 * same claim (same seq, same bytes): done. Object Lock retention comes from the
 * bucket's default (COMPLIANCE); the function may not set or change it.
 */
export const s3AuditArchive = (client: S3Client, bucket: string): AuditArchive => ({
  async putLink(key, body) {
    try {
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: body,
          ContentType: 'application/json',
          IfNoneMatch: '*',
        }),
      );
    } catch (error) {
      if (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 412) return;
      throw error;
    }
  },
});

/** The shipper's archive, on a client decorated like every client of the function (local IAM, X-Ray). */
export const auditArchiveAdapter = (context: {
  client<C extends DecoratableClient>(service: AwsService, client: C): C;
}): AuditArchive => {
  const endpoint = optionalEnv(ENV.s3Endpoint);
  return s3AuditArchive(
    context.client('s3', createS3Client(endpoint ? { endpoint } : {})),
    requireEnv(ENV.auditBucketName),
  );
};

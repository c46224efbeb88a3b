/**
 * The patients' export files in S3 (docs/adr/0013-gdpr-export-erasure.md): the
 * bucket encrypts every object with the data key (SSE-KMS, its default
 * encryption), refuses plain HTTP and deletes objects after 7 days; downloads
 * are presigned GETs valid 15 minutes. Only the export functions and the erasure
 * bundle it (the handler passes the adapter).
 */
import { DeleteObjectsCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { ENV, optionalEnv, requireEnv } from '../config.ts';
import type { ExportStore } from '../use-cases/exports.ts';
import { tracer } from './logger.ts';

/**
 * Builds the store on an S3 client of its own (locally: the S3-compatible server).
 * Its IAM grants come from the declaration (`access.exports`) in CDK; the local
 * stack does not emulate S3 permissions (README).
 */
export const s3ExportStore = (): ExportStore => {
  const endpoint = optionalEnv(ENV.s3Endpoint);
  const raw = new S3Client({
    ...(endpoint && {
      endpoint,
      forcePathStyle: true,
      region: process.env.AWS_REGION ?? 'eu-west-3',
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    }),
  });
  const client = endpoint ? raw : (tracer.captureAWSv3Client(raw as never) as S3Client);
  const bucket = requireEnv(ENV.exportBucketName);
  return {
    async put(key, body) {
      await client.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/json' }),
      );
    },
    downloadUrl: (key, seconds) =>
      getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: seconds }),
    async remove(keys) {
      if (keys.length === 0) return;
      await client.send(
        new DeleteObjectsCommand({
          Bucket: bucket,
          Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true },
        }),
      );
    },
  };
};

/**
 * S3 clients of the service (the audit archive; the exports later). Only the
 * functions that use S3 import this module, so no other bundle carries the S3 SDK.
 *
 * Locally (S3_ENDPOINT set, local/s3-local.ts): path-style addressing, and one
 * fix for the local server (@20minutes/s3rver), which verifies SigV4 signatures
 * but canonicalises a bucket-level path without its trailing slash: the SDK sends
 * `/bucket/` for CreateBucket, ListObjectsV2…, so the path is trimmed before it
 * is signed, and the server's built-in credentials are used. Object paths are untouched, and nothing is changed against AWS.
 */
import { S3Client } from '@aws-sdk/client-s3';

export const createS3Client = (options: { endpoint?: string; region?: string } = {}): S3Client => {
  const client = new S3Client({
    ...(options.region && { region: options.region }),
    // The local server's built-in account (never real credentials).
    ...(options.endpoint && {
      endpoint: options.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    }),
  });
  if (options.endpoint) {
    client.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { path?: string };
        if (typeof request.path === 'string' && /^\/[^/]+\/$/.test(request.path)) {
          request.path = request.path.slice(0, -1);
        }
        return next(args);
      },
      { step: 'build', priority: 'low', name: 'localS3BucketPath' },
    );
  }
  return client;
};

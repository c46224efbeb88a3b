/**
 * The patients' export files in S3 (docs/adr/0013-gdpr-export-erasure.md): the
 * bucket encrypts every object with the data key (SSE-KMS, its default
 * encryption), refuses plain HTTP and deletes objects after 7 days; downloads
 * are presigned GETs valid 15 minutes.
 *
 * Three plain S3 REST calls signed with SigV4 (shared/runtime/s3-signing.ts).
 */
import { optionalEnv, PERSONAL_DATA_ENV, requireEnv } from '../config.ts';
import type { ExportStore } from '../use-cases/exports.ts';
import { type SignableRequest, s3Bucket, urlOf } from './s3-signing.ts';

export const s3ExportStore = (): ExportStore => {
  const bucket = s3Bucket(
    requireEnv(PERSONAL_DATA_ENV.exportBucketName),
    optionalEnv(PERSONAL_DATA_ENV.s3Endpoint),
  );
  const requestFor = (method: string, key: string, body?: string) =>
    bucket.requestFor(method, key, body === undefined ? {} : { body });
  const send = async (request: SignableRequest, okStatuses: readonly number[]) => {
    await (await bucket.send(request, okStatuses)).arrayBuffer();
  };
  return {
    put: (key, body) => send(requestFor('PUT', key, body), [200]),
    async downloadUrl(key, seconds) {
      const presigned = (await bucket.signer.presign(requestFor('GET', key), {
        expiresIn: seconds,
      })) as SignableRequest;
      return urlOf(presigned);
    },
    async remove(keys) {
      // One DELETE per object (an erasure removes a handful): 204, or 404 when already gone.
      for (const key of keys) await send(requestFor('DELETE', key), [200, 204, 404]);
    },
  };
};

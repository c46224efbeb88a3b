/**
 * The attachments' objects in S3 (docs/adr/0016-attachments.md): presigned PUTs
 * bound to the declared type and length (both are signed headers: another type
 * or length fails the signature), presigned GETs, the checker's read of the
 * first bytes, and deletes. Plain signed REST calls (shared/runtime/s3-signing.ts):
 * only the attachment functions import this module.
 */
import { ATTACHMENT_ENV, optionalEnv, PERSONAL_DATA_ENV, requireEnv } from '../config.ts';
import { type AttachmentRef, attachmentObjectKey, MAGIC_BYTES_READ } from '../domain/attachments.ts';
import { type SignableRequest, s3Bucket, urlOf } from './s3-signing.ts';

export interface PresignedUpload {
  url: string;
  /** The headers the upload must send exactly as signed. */
  headers: Record<string, string>;
}

export interface AttachmentFiles {
  uploadUrl(
    attachment: Pick<AttachmentRef, 'id' | 'contentType' | 'size'>,
    seconds: number,
  ): Promise<PresignedUpload>;
  downloadUrl(attachmentId: string, seconds: number): Promise<string>;
  /** The object's size and first bytes; null when there is no object. */
  head(attachmentId: string): Promise<{ size: number; head: Uint8Array } | null>;
  remove(attachmentId: string): Promise<void>;
}

export const s3AttachmentFiles = (): AttachmentFiles => {
  const bucket = s3Bucket(requireEnv(ATTACHMENT_ENV.bucketName), optionalEnv(PERSONAL_DATA_ENV.s3Endpoint));
  const presign = async (request: SignableRequest, seconds: number) =>
    urlOf((await bucket.signer.presign(request, { expiresIn: seconds })) as SignableRequest);
  return {
    async uploadUrl(attachment, seconds) {
      const headers = { 'content-type': attachment.contentType, 'content-length': String(attachment.size) };
      const request = bucket.requestFor('PUT', attachmentObjectKey(attachment.id), { headers });
      return {
        url: await presign(request, seconds),
        headers: { 'Content-Type': headers['content-type'], 'Content-Length': headers['content-length'] },
      };
    },
    downloadUrl: (attachmentId, seconds) =>
      presign(bucket.requestFor('GET', attachmentObjectKey(attachmentId)), seconds),
    async head(attachmentId) {
      const request = bucket.requestFor('GET', attachmentObjectKey(attachmentId), {
        headers: { range: `bytes=0-${MAGIC_BYTES_READ - 1}` },
      });
      let response: Response;
      try {
        response = await bucket.send(request, [200, 206]);
      } catch (error) {
        if (/answered (404|416)/.test((error as Error).message)) return null;
        throw error;
      }
      const head = new Uint8Array(await response.arrayBuffer()).slice(0, MAGIC_BYTES_READ);
      // 206: `bytes 0-15/<size>`; 200 (a server that ignores Range): the whole body.
      const range = response.headers.get('content-range');
      const size = range
        ? Number(range.split('/')[1])
        : Number(response.headers.get('content-length') ?? head.length);
      return { size, head };
    },
    async remove(attachmentId) {
      await (
        await bucket.send(bucket.requestFor('DELETE', attachmentObjectKey(attachmentId)), [200, 204, 404])
      ).arrayBuffer();
    },
  };
};

/**
 * The patients' export files in S3 (docs/adr/0013-gdpr-export-erasure.md): the
 * bucket encrypts every object with the data key (SSE-KMS, its default
 * encryption), refuses plain HTTP and deletes objects after 7 days; downloads
 * are presigned GETs valid 15 minutes.
 *
 * Three plain S3 REST calls signed with SigV4 (the signer every SDK client
 * already bundles), not @aws-sdk/client-s3: that client and its presigner weigh
 * ~60 KB minified, which would put these Lambdas over the 500 KB bundle budget
 * (ADR 0006). Locally: the S3-compatible server (S3_ENDPOINT, path-style).
 */
import { createHash, createHmac } from 'node:crypto';
import { fromEnv } from '@aws-sdk/credential-provider-env';
import { SignatureV4 } from '@smithy/signature-v4';
import { optionalEnv, PERSONAL_DATA_ENV, requireEnv } from '../config.ts';
import type { ExportStore } from '../use-cases/exports.ts';

type SourceData = string | ArrayBuffer | ArrayBufferView;
const bytes = (data: SourceData): Buffer =>
  typeof data === 'string'
    ? Buffer.from(data)
    : ArrayBuffer.isView(data)
      ? Buffer.from(data.buffer, data.byteOffset, data.byteLength)
      : Buffer.from(data);

/** SHA-256 (and HMAC) for the signer, from node:crypto. */
class Sha256 {
  private readonly hash;
  constructor(secret?: SourceData) {
    this.hash = secret ? createHmac('sha256', bytes(secret)) : createHash('sha256');
  }
  update(data: SourceData) {
    this.hash.update(bytes(data));
  }
  async digest() {
    return new Uint8Array(this.hash.digest());
  }
}

interface SignableRequest {
  method: string;
  protocol: string;
  hostname: string;
  port?: number;
  path: string;
  query: Record<string, string | string[] | null>;
  headers: Record<string, string>;
  body?: string;
}

const urlOf = (request: SignableRequest): string => {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(request.query)) {
    if (typeof value === 'string') query.append(name, value);
  }
  const search = query.toString();
  return `${request.protocol}//${request.hostname}${request.port ? `:${request.port}` : ''}${request.path}${search ? `?${search}` : ''}`;
};

export const s3ExportStore = (): ExportStore => {
  const region = process.env.AWS_REGION ?? 'eu-west-3';
  const endpoint = optionalEnv(PERSONAL_DATA_ENV.s3Endpoint);
  const bucket = requireEnv(PERSONAL_DATA_ENV.exportBucketName);
  const base = new URL(endpoint ? `${endpoint}/${bucket}/` : `https://${bucket}.s3.${region}.amazonaws.com/`);
  const signer = new SignatureV4({
    service: 's3',
    region,
    // Locally: the key pair the S3-compatible server knows (it refuses any other access key id).
    credentials: endpoint ? { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } : fromEnv(),
    sha256: Sha256,
    uriEscapePath: false,
    applyChecksum: false,
  });
  /** Object keys are ids and slashes only (exportObjectKey): each segment encoded once, as S3 wants. */
  const requestFor = (method: string, key: string, body?: string): SignableRequest => {
    const url = new URL(key.split('/').map(encodeURIComponent).join('/'), base);
    return {
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port && { port: Number(url.port) }),
      path: url.pathname,
      query: {},
      headers: {
        host: url.host,
        'x-amz-content-sha256':
          body === undefined ? 'UNSIGNED-PAYLOAD' : createHash('sha256').update(body).digest('hex'),
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body }),
    };
  };
  const send = async (request: SignableRequest, okStatuses: readonly number[]) => {
    const signed = (await signer.sign(request)) as SignableRequest;
    const { host: _host, ...headers } = signed.headers;
    const response = await fetch(urlOf(signed), {
      method: signed.method,
      headers,
      ...(request.body !== undefined && { body: request.body }),
    });
    await response.arrayBuffer();
    if (!okStatuses.includes(response.status)) {
      throw new Error(`S3 ${request.method} of an export object answered ${response.status}`);
    }
  };
  return {
    put: (key, body) => send(requestFor('PUT', key, body), [200]),
    async downloadUrl(key, seconds) {
      const presigned = (await signer.presign(requestFor('GET', key), {
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

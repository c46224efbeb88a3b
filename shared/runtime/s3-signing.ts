/**
 * Plain S3 REST calls signed with SigV4 (the signer every SDK client already
 * bundles), not @aws-sdk/client-s3: that client and its presigner weigh ~60 KB
 * minified (ADR 0006's budget). Used by the export files and the attachments.
 * Locally: the S3-compatible server (S3_ENDPOINT, path-style, its own key pair).
 */
import { createHash, createHmac } from 'node:crypto';
import { fromEnv } from '@aws-sdk/credential-provider-env';
import { SignatureV4 } from '@smithy/signature-v4';

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

export interface SignableRequest {
  method: string;
  protocol: string;
  hostname: string;
  port?: number;
  path: string;
  query: Record<string, string | string[] | null>;
  headers: Record<string, string>;
  body?: string;
}

export const urlOf = (request: SignableRequest): string => {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(request.query)) {
    if (typeof value === 'string') query.append(name, value);
  }
  const search = query.toString();
  return `${request.protocol}//${request.hostname}${request.port ? `:${request.port}` : ''}${request.path}${search ? `?${search}` : ''}`;
};

export interface S3Bucket {
  signer: SignatureV4;
  /** A request for one object; keys are ids and slashes only, each segment encoded once as S3 wants. */
  requestFor(
    method: string,
    key: string,
    options?: { body?: string; headers?: Record<string, string> },
  ): SignableRequest;
  /** Signs and sends; the answer when its status is one of `okStatuses`, else throws (status only). */
  send(request: SignableRequest, okStatuses: readonly number[]): Promise<Response>;
}

export const s3Bucket = (bucket: string, endpoint: string | undefined): S3Bucket => {
  const region = process.env.AWS_REGION ?? 'eu-west-3';
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
  return {
    signer,
    requestFor(method, key, options = {}) {
      const url = new URL(key.split('/').map(encodeURIComponent).join('/'), base);
      const { body } = options;
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
          ...options.headers,
        },
        ...(body !== undefined && { body }),
      };
    },
    async send(request, okStatuses) {
      const signed = (await signer.sign(request)) as SignableRequest;
      const { host: _host, ...headers } = signed.headers;
      const response = await fetch(urlOf(signed), {
        method: signed.method,
        headers,
        ...(request.body !== undefined && { body: request.body }),
      });
      if (!okStatuses.includes(response.status)) {
        await response.arrayBuffer();
        throw new Error(`S3 ${request.method} answered ${response.status}`);
      }
      return response;
    },
  };
};

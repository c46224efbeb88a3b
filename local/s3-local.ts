/**
 * The local S3-compatible server (npm `@20minutes/s3rver`), started by `npm start`
 * (local/stack.ts) and by the test harnesses, bound to 127.0.0.1, with the buckets
 * the service needs created: the audit archive (docs/adr/0012-audit-object-lock.md),
 * and whatever a caller adds (the GDPR exports).
 *
 * What it is not: it does NOT enforce Object Lock (no retention, no compliance
 * mode: a local object can be deleted or overwritten, which is how the tests
 * tamper with the chain), nor conditional writes (`If-None-Match: *` is ignored),
 * nor bucket policies or encryption. It DOES verify SigV4 signatures, with the
 * path fix of shared/runtime/s3-client.ts (credentials S3RVER/S3RVER).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from '@20minutes/s3rver';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../shared/runtime/s3-client.ts';
import { LOCAL_REGION } from './constants.ts';

/** What s3rver emits (`event`) once an object is stored or deleted: S3's notification record. */
interface S3rverEvent {
  Records?: Array<{
    eventName: string;
    s3: { bucket: { name: string }; object: { key: string; size?: number } };
  }>;
}

/** s3rver's built-in account: the only keys it accepts. */
export const LOCAL_S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export interface S3Local {
  /** S3_ENDPOINT for the SDK (path-style). */
  url: string;
  buckets: readonly string[];
  /** A client with the server's credentials (tests, scripts). */
  client(): S3Client;
  stop(): Promise<void>;
}

export const startS3Local = async (options: {
  buckets: readonly string[];
  port?: number;
  /** Where objects are kept (npm start: the data folder); default a temporary folder removed on stop. */
  directory?: string;
  /** Called when an object is stored (what S3 → EventBridge "Object Created" says in AWS). */
  onObjectCreated?: (object: { bucket: string; key: string; size: number }) => void;
}): Promise<S3Local> => {
  const temporary = options.directory ? undefined : mkdtempSync(join(tmpdir(), 's3-local-'));
  const directory = options.directory ?? (temporary as string);
  mkdirSync(directory, { recursive: true });
  const server = new S3rver({
    port: options.port ?? 0,
    address: '127.0.0.1',
    silent: true,
    directory,
  });
  if (options.onObjectCreated) {
    const notify = options.onObjectCreated;
    server.on('event', (event: S3rverEvent) => {
      for (const record of event.Records ?? []) {
        if (!record.eventName.startsWith('ObjectCreated:')) continue;
        notify({
          bucket: record.s3.bucket.name,
          // s3rver reports the key as stored; S3 reports it URL-encoded (`+` for spaces): the ids here have neither.
          key: record.s3.object.key,
          size: record.s3.object.size ?? 0,
        });
      }
    });
  }
  const { port } = await server.run();
  const url = `http://127.0.0.1:${port}`;
  const clients: S3Client[] = [];
  const client = () => {
    const created = createS3Client({ endpoint: url, region: LOCAL_REGION });
    clients.push(created);
    return created;
  };
  const admin = client();
  for (const bucket of options.buckets) {
    try {
      await admin.send(new CreateBucketCommand({ Bucket: bucket }));
    } catch (error) {
      const name = (error as Error)?.name;
      if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw error;
    }
  }
  return {
    url,
    buckets: options.buckets,
    client,
    stop: async () => {
      for (const c of clients) c.destroy();
      await server.close();
      if (temporary) rmSync(temporary, { recursive: true, force: true });
    },
  };
};

/** The GDPR exports' starter (a fixed port and folder): the same server, by its endpoint. */
export interface LocalS3 {
  endpoint: string;
  stop(): Promise<void>;
}

export const startLocalS3 = async (options: {
  port: number;
  directory: string;
  buckets: readonly string[];
}): Promise<LocalS3> => {
  const s3 = await startS3Local(options);
  return { endpoint: s3.url, stop: s3.stop };
};

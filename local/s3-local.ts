/**
 * The local S3-compatible server (npm @20minutes/s3rver) behind `npm start` and
 * the tests: the export bucket (and whichever others are named) as folders under
 * `directory`. It checks no signature of a presigned URL usefully (SDK 3.1169
 * signs in a way it rejects, so mismatches are allowed): locally a URL's
 * expiry and integrity are NOT enforced; the service never relies on them for
 * anything but handing out a download (README, "Export and erasure").
 */
import S3rver from '@20minutes/s3rver';

export interface LocalS3 {
  endpoint: string;
  stop(): Promise<void>;
}

/** Credentials the local server accepts (any non-empty pair, as s3rver's own defaults). */
export const LOCAL_S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export const startLocalS3 = async (options: {
  port: number;
  directory: string;
  buckets: readonly string[];
}): Promise<LocalS3> => {
  const server = new S3rver({
    port: options.port,
    address: '127.0.0.1',
    silent: true,
    directory: options.directory,
    allowMismatchedSignatures: true,
    configureBuckets: options.buckets.map((name) => ({ name })),
  });
  const address = (await server.run()) as { port: number };
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    stop: () => server.close() as Promise<void>,
  };
};

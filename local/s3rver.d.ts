/** @20minutes/s3rver ships no types: the part local/s3-local.ts uses. */
declare module '@20minutes/s3rver' {
  export default class S3rver {
    constructor(options: {
      port?: number;
      address?: string;
      silent?: boolean;
      directory: string;
      allowMismatchedSignatures?: boolean;
    });
    run(): Promise<{ address: string; port: number }>;
    close(): Promise<void>;
    /** Koa's emitter: `event` carries S3's notification record of a stored or deleted object. */
    on(name: 'event', listener: (event: never) => void): this;
  }
}

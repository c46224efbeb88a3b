/**
 * Lambda bundles only: infra/bundling.ts has esbuild put this module in place of
 * `@smithy/core/event-streams` (docs/adr/0006-bundle-size.md). The SDK's HTTP
 * protocols load event-stream support with a dynamic import, only for operations
 * with event-stream members; esbuild inlines it in a single-file bundle anyway
 * (~14 KB). No operation we call on our clients (DynamoDB, EventBridge, SESv2, S3 PutObject/Get/List) has one:
 * should one ever be called, it fails here, loudly, instead of silently
 * misbehaving.
 */
const unsupported = (): never => {
  throw new Error('Event streams are not bundled in this Lambda (shared/runtime/no-event-streams.ts)');
};

export const eventStreamSerdeProvider = unsupported;

export class EventStreamSerde {
  constructor() {
    unsupported();
  }
}

/**
 * The S3 client resolves its event-stream config when it is built (for SelectObjectContent, which the
 * service never calls): the marshaller is the failing provider above, called only if a stream is used.
 */
export const resolveEventStreamSerdeConfig = <T extends object>(
  input: T,
): T & { eventStreamMarshaller: unknown } =>
  Object.assign(input, {
    eventStreamMarshaller: new Proxy({}, { get: () => unsupported }),
  });

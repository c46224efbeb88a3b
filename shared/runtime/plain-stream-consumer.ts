/**
 * A stream consumer without the service's Deps: the same instrumentation as
 * shared/events-consumer.ts `streamConsumer` (Powertools logger, tracer and
 * metrics through middy; a failure leaves as its name only), for a function that
 * builds its own few ports. The audit shipper uses it: `functionDeps` would bundle
 * every repository of the service, and the S3 client leaves no room for them
 * under the 500 KB bundle limit (docs/adr/0006-bundle-size.md).
 */
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { StreamBatchResponse } from '../events-consumer.ts';
import type { StreamFunctionDeclaration } from '../function-model/declaration.ts';
import { errorFields, logger, metrics, tracer, withInvocationLogger } from './logger.ts';

class StreamBatchFailed extends Error {
  constructor(cause: unknown) {
    super(`Batch failed: ${(cause as Error)?.name ?? 'Error'}`);
    this.name = 'StreamBatchFailed';
  }
}

export const plainStreamConsumer = (
  declaration: StreamFunctionDeclaration,
  run: (records: DynamoDBRecord[]) => Promise<StreamBatchResponse>,
) => {
  const traced = middy(async (event: DynamoDBStreamEvent): Promise<StreamBatchResponse> => {
    logger.appendKeys({ consumer: declaration.name, records: event.Records.length });
    try {
      return await run(event.Records);
    } catch (error) {
      logger.error('Batch failed; the event source mapping retries it', errorFields(error));
      throw new StreamBatchFailed(error);
    }
  })
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .use(logMetrics(metrics)) as unknown as (
    event: DynamoDBStreamEvent,
    context: Context,
  ) => Promise<StreamBatchResponse>;
  return (event: DynamoDBStreamEvent, context: Context): Promise<StreamBatchResponse> =>
    withInvocationLogger(context, () => traced(event, context));
};

/**
 * The AWS side of `npm run stream:redrive`: the function's DLQ (SQS) and the deployed function (Lambda
 * Invoke). Thin on purpose: SQS is not emulated locally, so this file is the part no test runs; all the
 * rest (reading the stream, filtering, deciding) is in ./stream-redriving.ts and tested on DynamoDB Local.
 * Only this script imports these clients: no Lambda bundle does.
 */
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import {
  type DeadLetterMessage,
  type DeadLetterSource,
  type Invoke,
  outcomeOfResponse,
} from './stream-redriving.ts';

/** A message handed out stays hidden this long: a run never meets the same one twice. */
const HIDDEN_SECONDS = 15 * 60;

/**
 * The queue's messages, ten at a time, until it has no new one. The messages kept are made visible
 * again at the end (ChangeMessageVisibility 0), so the next run, and the depth alarm, see them at once.
 */
export const sqsDeadLetters = async (sqs: SQSClient, queueName: string): Promise<DeadLetterSource> => {
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: queueName }));
  const receipts = new Map<string, string>();
  const receiptOf = (message: DeadLetterMessage) => {
    const handle = receipts.get(message.id);
    if (!handle) throw new Error(`No receipt handle for message ${message.id}`);
    return handle;
  };
  return {
    async *messages() {
      for (;;) {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl,
            MaxNumberOfMessages: 10,
            VisibilityTimeout: HIDDEN_SECONDS,
            // Long polling asks every SQS server: an empty answer means an empty (or all hidden) queue.
            WaitTimeSeconds: 2,
          }),
        );
        const fresh = Messages.filter((m) => m.MessageId && m.ReceiptHandle && !receipts.has(m.MessageId));
        if (fresh.length === 0) return;
        for (const m of fresh) {
          receipts.set(m.MessageId as string, m.ReceiptHandle as string);
          yield { id: m.MessageId as string, body: m.Body ?? '' };
        }
      }
    },
    async delete(message) {
      await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: receiptOf(message) }));
      return true;
    },
    async releaseKept(messages) {
      for (const message of messages) {
        await sqs.send(
          new ChangeMessageVisibilityCommand({
            QueueUrl,
            ReceiptHandle: receiptOf(message),
            VisibilityTimeout: 0,
          }),
        );
      }
    },
  };
};

/**
 * The deployed function, invoked synchronously with the event. A function error is reported by its
 * type only: the message of an error may quote what it was handling.
 */
export const lambdaInvoker =
  (lambda: LambdaClient, functionName: string): Invoke =>
  async (event) => {
    const response = await lambda.send(
      new InvokeCommand({
        FunctionName: functionName,
        InvocationType: 'RequestResponse',
        Payload: new TextEncoder().encode(JSON.stringify(event)),
      }),
    );
    let payload: unknown = null;
    try {
      payload = response.Payload?.length ? JSON.parse(new TextDecoder().decode(response.Payload)) : null;
    } catch {
      payload = null;
    }
    if (response.FunctionError) {
      const type = (payload as { errorType?: unknown } | null)?.errorType;
      return { ok: false, error: `${response.FunctionError}:${typeof type === 'string' ? type : 'Error'}` };
    }
    return outcomeOfResponse(payload);
  };

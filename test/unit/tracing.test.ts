/**
 * The X-Ray tracer (shared/runtime/tracing.ts) that replaced the Powertools
 * Tracer: the subsegment documents it sends for an invocation and for each SDK
 * call, the trace header the calls carry, and the daemon's UDP protocol.
 */
import { createSocket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  createTracer,
  daemonEndpoint,
  daemonSink,
  parseTraceHeader,
  type SubsegmentDocument,
  tracingEnabled,
} from '../../shared/runtime/tracing.ts';

const ROOT = '1-67891233-abcdef012345678912345678';
const LAMBDA_SEGMENT = '53995c3f42cd8ad8';
const SAMPLED = `Root=${ROOT};Parent=${LAMBDA_SEGMENT};Sampled=1;Lineage=a87bd80c:0`;

const tracerWith = (header: string | undefined, enabled = true) => {
  const sent: SubsegmentDocument[] = [];
  let clock = 1_700_000_000;
  const tracer = createTracer({
    serviceName: 'patient-messaging',
    enabled,
    sink: { send: (document) => sent.push(document) },
    handlerName: 'index.handler',
    traceHeader: () => header,
    now: () => {
      clock += 0.25;
      return clock;
    },
  });
  return { tracer, sent };
};

interface Answer {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

/** A DynamoDB client whose HTTP layer answers `answer` and records the requests' headers. */
const dynamoDb = (answer: Answer) => {
  const requests: Array<Record<string, string>> = [];
  const client = new DynamoDBClient({
    region: 'eu-west-3',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
    requestHandler: {
      handle: async (request: { headers: Record<string, string> }) => {
        requests.push({ ...request.headers });
        const { Readable } = await import('node:stream');
        return {
          response: {
            statusCode: answer.status,
            reason: '',
            headers: {
              'content-type': 'application/x-amz-json-1.0',
              'x-amzn-requestid': 'REQ123',
              ...answer.headers,
            },
            body: Readable.from([Buffer.from(answer.body)]),
          },
        };
      },
    },
  });
  return { client, requests };
};

describe('trace header', () => {
  it('reads Lambda’s header, keeping the fields it does not know', () => {
    expect(parseTraceHeader(SAMPLED)).toEqual({
      root: ROOT,
      parent: LAMBDA_SEGMENT,
      sampled: true,
      extra: ['Lineage=a87bd80c:0'],
    });
    expect(parseTraceHeader(`Root=${ROOT};Sampled=0`)).toMatchObject({ parent: undefined, sampled: false });
    expect(parseTraceHeader('Root=garbage;Parent=1;Sampled=1')).toBeUndefined();
    expect(parseTraceHeader(undefined)).toBeUndefined();
  });

  it('finds the daemon from AWS_XRAY_DAEMON_ADDRESS in both forms', () => {
    expect(daemonEndpoint('169.254.79.129:2000')).toEqual({ host: '169.254.79.129', port: 2000 });
    expect(daemonEndpoint('tcp:127.0.0.1:2000 udp:127.0.0.2:2001')).toEqual({
      host: '127.0.0.2',
      port: 2001,
    });
    expect(daemonEndpoint(undefined)).toEqual({ host: '127.0.0.1', port: 2000 });
  });

  it('is on in Lambda only, unless POWERTOOLS_TRACE_ENABLED is false', () => {
    expect(tracingEnabled({ AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x' })).toBe(true);
    expect(
      tracingEnabled({ AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x', POWERTOOLS_TRACE_ENABLED: 'false' }),
    ).toBe(false);
    expect(tracingEnabled({ AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x', AWS_SAM_LOCAL: 'true' })).toBe(false);
    expect(tracingEnabled({})).toBe(false);
  });
});

describe('invocation subsegment', () => {
  it('wraps each invocation in "## <handler>" under Lambda’s segment, ColdStart only the first time', async () => {
    const { tracer, sent } = tracerWith(SAMPLED);
    await expect(tracer.traceInvocation(async () => 'first')).resolves.toBe('first');
    await tracer.traceInvocation(async () => 'second');
    expect(sent).toHaveLength(2);
    const [first, second] = sent as [SubsegmentDocument, SubsegmentDocument];
    expect(first).toMatchObject({
      type: 'subsegment',
      name: '## index.handler',
      trace_id: ROOT,
      parent_id: LAMBDA_SEGMENT,
      annotations: { ColdStart: true, Service: 'patient-messaging' },
    });
    expect(first.id).toMatch(/^[0-9a-f]{16}$/);
    expect(first.end_time).toBeGreaterThan(first.start_time);
    expect(second.annotations).toEqual({ ColdStart: false, Service: 'patient-messaging' });
    expect(second.id).not.toBe(first.id);
    // Nothing of the response is recorded.
    expect(JSON.stringify(sent)).not.toContain('first');
  });

  it('marks a failed invocation as a fault, with the error’s name and masked message, and rethrows', async () => {
    const { tracer, sent } = tracerWith(SAMPLED);
    const failure = new TypeError('Refused for jane.doe@example.org');
    await expect(
      tracer.traceInvocation(async () => {
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(sent[0]).toMatchObject({
      fault: true,
      cause: { exceptions: [{ type: 'TypeError', message: 'Refused for <email>', remote: false }] },
    });
    expect(JSON.stringify(sent)).not.toContain('jane.doe');
  });

  it('sends nothing for an unsampled request, without a parent segment, or when tracing is off', async () => {
    for (const { header, enabled } of [
      { header: `Root=${ROOT};Parent=${LAMBDA_SEGMENT};Sampled=0`, enabled: true },
      { header: `Root=${ROOT}`, enabled: true },
      { header: undefined, enabled: true },
      { header: SAMPLED, enabled: false },
    ]) {
      const { tracer, sent } = tracerWith(header, enabled);
      await expect(tracer.traceInvocation(async () => 42)).resolves.toBe(42);
      expect(sent).toEqual([]);
    }
  });
});

describe('SDK client subsegments', () => {
  it('records each call under the invocation’s subsegment and passes the trace header on', async () => {
    const { tracer, sent } = tracerWith(SAMPLED);
    const { client, requests } = dynamoDb({ status: 200, body: '{"Item":{"pk":{"S":"a"}}}' });
    const document = DynamoDBDocumentClient.from(tracer.captureAWSv3Client(client));
    await tracer.traceInvocation(async () => {
      await document.send(new GetCommand({ TableName: 'messaging', Key: { pk: 'a' } }));
    });
    const [call, handler] = sent as [SubsegmentDocument, SubsegmentDocument];
    expect(handler.name).toBe('## index.handler');
    expect(call).toMatchObject({
      type: 'subsegment',
      name: 'DynamoDB',
      namespace: 'aws',
      trace_id: ROOT,
      parent_id: handler.id,
      aws: {
        operation: 'GetItem',
        region: 'eu-west-3',
        request_id: 'REQ123',
        retries: 0,
        table_name: 'messaging',
      },
      http: { response: { status: 200 } },
    });
    expect(call).not.toHaveProperty('fault');
    expect(call).not.toHaveProperty('error');
    // The service links its own segment to this call (and Lambda's Lineage goes on).
    expect(requests[0]?.['X-Amzn-Trace-Id']).toBe(
      `Root=${ROOT};Parent=${call.id};Sampled=1;Lineage=a87bd80c:0`,
    );
    // Nothing of the item read is recorded.
    expect(JSON.stringify(sent)).not.toContain('"pk"');
  });

  it('flags a refused call as an error, a throttled one as throttled, a server failure as a fault', async () => {
    const cases: Array<{ answer: Answer; flags: Record<string, boolean> }> = [
      {
        answer: {
          status: 400,
          body: '{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"The conditional request failed"}',
        },
        flags: { error: true },
      },
      {
        answer: {
          status: 400,
          body: '{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"slow down"}',
        },
        flags: { error: true, throttle: true },
      },
      {
        answer: {
          status: 500,
          body: '{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"oops"}',
        },
        flags: { fault: true },
      },
    ];
    for (const { answer, flags } of cases) {
      const { tracer, sent } = tracerWith(SAMPLED);
      const { client } = dynamoDb(answer);
      tracer.captureAWSv3Client(client);
      await tracer
        .traceInvocation(() =>
          client.send(new PutItemCommand({ TableName: 'messaging', Item: { pk: { S: 'a' } } })),
        )
        .catch(() => undefined);
      const call = sent.find((d) => d.name === 'DynamoDB');
      expect(call?.http).toEqual({ response: { status: answer.status } });
      expect({ error: call?.error, fault: call?.fault, throttle: call?.throttle }).toEqual({
        error: undefined,
        fault: undefined,
        throttle: undefined,
        ...flags,
      });
      expect(call?.cause?.exceptions[0]).toMatchObject({ remote: true });
    }
  });

  it('leaves the client alone when tracing is off, and calls outside an invocation untraced', async () => {
    const off = tracerWith(SAMPLED, false);
    const { client } = dynamoDb({ status: 200, body: '{}' });
    expect(off.tracer.captureAWSv3Client(client)).toBe(client);
    expect(client.middlewareStack.identify().some((m) => m.startsWith('xrayTracing'))).toBe(false);

    const on = tracerWith(SAMPLED);
    const traced = dynamoDb({ status: 200, body: '{}' });
    on.tracer.captureAWSv3Client(traced.client);
    await traced.client.send(new GetItemCommand({ TableName: 'messaging', Key: { pk: { S: 'a' } } }));
    expect(on.sent).toEqual([]);
  });
});

describe('daemon sink', () => {
  it('sends each document as one datagram: the protocol header, a newline, the JSON', async () => {
    const server = createSocket('udp4');
    await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const received = new Promise<string>((resolve) =>
      server.once('message', (message) => resolve(String(message))),
    );
    const document: SubsegmentDocument = {
      type: 'subsegment',
      id: '0123456789abcdef',
      trace_id: ROOT,
      parent_id: LAMBDA_SEGMENT,
      name: '## index.handler',
      start_time: 1,
      end_time: 2,
    };
    daemonSink(`127.0.0.1:${port}`).send(document);
    const [header, body] = (await received).split('\n');
    server.close();
    expect(JSON.parse(header as string)).toEqual({ format: 'json', version: 1 });
    expect(JSON.parse(body as string)).toEqual(document);
  });
});

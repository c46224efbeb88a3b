import { SESv2Client } from '@aws-sdk/client-sesv2';
import AWSXRay from 'aws-xray-sdk-core';
import { describe, expect, it } from 'vitest';
import { errorFields } from '../../shared/runtime/logger.ts';
import { sesMailer } from '../../shared/runtime/mailer.ts';

const RECIPIENT = 'camille.martin@example.org';

/** An SES that refuses every email the way SES does: a 400 whose message quotes the recipient. */
const refusingSes = () =>
  new SESv2Client({
    region: 'eu-west-3',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
    requestHandler: {
      handle: async () => ({
        response: {
          statusCode: 400,
          reason: 'Bad Request',
          headers: { 'content-type': 'application/json', 'x-amzn-errortype': 'MessageRejected' },
          body: new TextEncoder().encode(
            JSON.stringify({
              message: `Email address is not verified. The following identities failed the check in region EU-WEST-3: ${RECIPIENT}, <${RECIPIENT}>`,
            }),
          ),
        },
      }),
    },
  });

const send = (client: SESv2Client) =>
  sesMailer({ client, fromAddress: 'no-reply@patient-messaging.test' })
    .send({ to: RECIPIENT, subject: 'Nouveau message', text: 'x' })
    .then(
      () => undefined,
      (error: unknown) => error as Error & { $metadata?: unknown },
    );

describe('SES errors never carry the recipient address', () => {
  it('into the error the use case, the handler log and the Lambda trace see', async () => {
    const error = await send(refusingSes());
    expect(error?.name).toBe('MessageRejected');
    expect(error?.$metadata).toMatchObject({ httpStatusCode: 400 });
    expect(error?.message).toContain('<email>');
    expect(`${error?.message} ${error?.stack}`).not.toContain('@');
    expect(JSON.stringify(errorFields(error))).not.toContain('@');
  });

  it('into the X-Ray subsegment of the SES call (captureAWSv3Client records the error message and stack)', async () => {
    const client = refusingSes();
    const segment = new AWSXRay.Segment('ses-error-masking-test');
    AWSXRay.captureAWSv3Client(client as never, segment);
    const recorded = await AWSXRay.getNamespace().runAndReturn(async () => {
      AWSXRay.setSegment(segment);
      await send(client);
      return JSON.stringify(segment.subsegments ?? []);
    });
    expect(recorded).toContain('MessageRejected');
    expect(recorded).toContain('<email>');
    expect(recorded).not.toContain(RECIPIENT);
    expect(recorded).not.toMatch(/[\w.-]+@[\w-]+\.\w+/);
  });
});

/**
 * The emails tests read back from aws-ses-v2-local (local/ses-local.ts: GET /store), written once:
 *
 *   useLocalSes()                           one local SES for the test file (vitest hooks start and stop it)
 *     → { client(), mailer(client?), inbox(address) }  an SES client and the service's mailer on it
 *   emailsTo(ses, address)                  the stored emails with `address` in To
 *   settledEmailsTo(t, address, expected?)  the same from a test API once its bus is drained (waits for `expected`)
 *   emailContent(email) / expectContentFree(emails, texts)   what an email shows; none of `texts` in it
 */
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { afterAll, beforeAll, expect } from 'vitest';
import { LOCAL_REGION } from '../../local/constants.ts';
import { type SesLocal, type StoredEmail, startSesLocal } from '../../local/ses-local.ts';
import { type Mailer, sesMailer } from '../../shared/runtime/mailer.ts';
import type { TestApi } from './local-api.ts';

/** The sender the test mailers use. */
export const TEST_FROM_ADDRESS = 'no-reply@patient-messaging.test';

export const emailsTo = async (ses: Pick<SesLocal, 'emails'>, address: string): Promise<StoredEmail[]> =>
  (await ses.emails()).filter((e) => e.destination.to.includes(address));

/**
 * A local SES for the whole test file: call at its top level; use what it returns in tests and hooks
 * (it starts in a beforeAll). Its store is the process's: a file's emails are its own.
 */
export const useLocalSes = () => {
  let server: SesLocal | undefined;
  beforeAll(async () => {
    server = await startSesLocal();
  });
  afterAll(async () => {
    await server?.stop();
  });
  const started = (): SesLocal => {
    if (!server) throw new Error('The local SES starts in a beforeAll: use it in tests and hooks');
    return server;
  };
  /** An SES v2 client on it (dummy credentials: it wants an Authorization header). */
  const client = () =>
    new SESv2Client({
      endpoint: started().url,
      region: LOCAL_REGION,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  return {
    client,
    /** The service's SES mailer, on `sesClient` (default: a new client on this SES). */
    mailer: (sesClient: SESv2Client = client()): Mailer =>
      sesMailer({ client: sesClient, fromAddress: TEST_FROM_ADDRESS }),
    inbox: (address: string) => emailsTo(started(), address),
  };
};

/**
 * The emails to an address once deliveries settled (the test API's bus drained). `expected` > 0:
 * waits (up to 10 s, re-draining) for that many to arrive — an email is the last link of a chain
 * (write → outbox → stream → bus → consumer → SES) that a loaded machine can leave one poll behind
 * the drain — and then returns what is there, so the caller still asserts the exact count.
 */
export const settledEmailsTo = async (
  t: Pick<TestApi, 'bus' | 'ses'>,
  address: string,
  expected = 0,
): Promise<StoredEmail[]> => {
  const deadline = Date.now() + 10_000;
  for (;;) {
    await t.bus.drain();
    const found = await emailsTo(t.ses, address);
    if (found.length >= expected || Date.now() > deadline) return found;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

/** What a recipient sees of an email: subject, text and HTML bodies. */
export const emailContent = (email: StoredEmail): string =>
  `${email.subject}\n${email.body.text ?? ''}\n${email.body.html ?? ''}`;

/** None of `texts` (messages, names) appears in any of the emails. */
export const expectContentFree = (emails: readonly StoredEmail[], texts: readonly string[]) => {
  for (const email of emails) {
    const content = emailContent(email);
    for (const text of texts) expect(content).not.toContain(text);
  }
};

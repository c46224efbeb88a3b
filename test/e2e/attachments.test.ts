/**
 * Attachments over HTTP against the local stack (SPEC 11.3): real uploads with curl to the presigned
 * URLs of the local S3-compatible server, the checker run by the server's "Object Created" on the local
 * bus, downloads through presigned GETs (an inbox assistant's included), the audit trail, the 24-hour
 * expiry on the local clock, and the object leaving with an item the TTL deletes (the TTL's REMOVE record
 * handed to the real outbox publisher: DynamoDB Local applies no TTL).
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { DeleteCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLambdaContext } from '../../local/api-gateway.ts';
import type { LambdaHandler } from '../../local/functions.ts';
import { LOCAL_ATTACHMENT_BUCKET } from '../../shared/config.ts';
import { keys } from '../../shared/db/keys.ts';
import { attachmentObjectKey } from '../../shared/domain/attachments.ts';
import { communicationThreadId } from '../../shared/use-cases/communications.ts';
import { type ApiClient, startTestApi, type TestApi } from '../support/index.ts';
import { removeRecord } from '../support/stream-records.ts';

const run = promisify(execFile);
const DOC = 'dr-attach';
const PAT = 'pat-attach';
const OTHER = 'pat-attach-other';
const P = '/v1/practitioner';
const dir = mkdtempSync(join(tmpdir(), 'attachments-e2e-'));

let t: TestApi;
/** The PDF sent in the first reply: it must survive the 24-hour expiry. */
let sentAttachment: { threadId: string; id: string } | undefined;
/** The PDF a group communication took: it must survive the expiry too. */
let groupAttachment: { threadId: string; id: string; patientId: string } | undefined;
let doc: ApiClient;
let pat: ApiClient;
let other: ApiClient;
/** The outbox publisher's handler as the local stack loaded it (the stream poller's target). */
let publisher: LambdaHandler | undefined;

const pdfBytes = Buffer.concat([
  Buffer.from('%PDF-1.7\n'),
  Buffer.alloc(2000, 0x20),
  Buffer.from('\n%%EOF\n'),
]);
/** A Windows executable's header (`MZ`), named like an invoice. */
const exeBytes = Buffer.concat([Buffer.from([0x4d, 0x5a, 0x90, 0x00]), Buffer.alloc(1500, 0x00)]);

const fileOf = (name: string, bytes: Buffer) => {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
};

interface Upload {
  id: string;
  uploadUrl: string;
  uploadHeaders: Record<string, string>;
  expiresAt: string;
}

/** curl's PUT of a file to a presigned URL with the given headers: the HTTP status. */
const curlPut = async (url: string, path: string, headers: Record<string, string>) => {
  const args = ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-X', 'PUT', '--data-binary', `@${path}`];
  for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}: ${value}`);
  const { stdout } = await run('curl', [...args, url]);
  return Number(stdout);
};

const create = async (
  client: ApiClient,
  role: 'practitioner' | 'patient',
  fileName: string,
  bytes: Buffer,
) => {
  const res = await client.post(`/v1/${role}/attachments`, {
    fileName,
    contentType: 'application/pdf',
    size: bytes.length,
  });
  expect(res.status).toBe(201);
  return res.body as Upload;
};

/** Creates, uploads with curl (201 then 200 from S3), and waits for the checker. */
const uploaded = async (
  client: ApiClient,
  role: 'practitioner' | 'patient',
  fileName: string,
  bytes: Buffer,
) => {
  const upload = await create(client, role, fileName, bytes);
  expect(await curlPut(upload.uploadUrl, fileOf(`${upload.id}.bin`, bytes), upload.uploadHeaders)).toBe(200);
  await t.bus.drain();
  return upload;
};

beforeAll(async () => {
  t = await startTestApi({
    wrapHandlers: (name, handler) => {
      if (name === 'outbox-publisher') publisher = handler;
      return handler;
    },
  });
  doc = await t.as(DOC, 'practitioner');
  pat = await t.as(PAT, 'patient');
  other = await t.as(OTHER, 'patient');
  for (const id of [PAT, OTHER]) {
    expect((await doc.put(`${P}/patients/${id}`, { firstName: 'Lou', lastName: 'Test' })).status).toBe(201);
  }
});
afterAll(() => t?.stop());

describe('a PDF invoice in a reply', () => {
  let threadId: string;
  let attachmentId: string;

  it('uploads with curl to the presigned PUT, is checked clean, and rides in a reply; both views show it', async () => {
    const started = await pat.post('/v1/patient/threads', { practitionerId: DOC, body: 'Ma facture ?' });
    expect(started.status).toBe(201);
    threadId = (started.body as { thread: { id: string } }).thread.id;

    const upload = await uploaded(doc, 'practitioner', 'facture.pdf', pdfBytes);
    expect(upload.uploadUrl).toContain('X-Amz-Expires=900');
    expect(upload.uploadUrl).not.toContain('facture');
    expect(upload.uploadHeaders).toEqual({
      'Content-Type': 'application/pdf',
      'Content-Length': String(pdfBytes.length),
    });
    attachmentId = upload.id;
    sentAttachment = { threadId, id: attachmentId };

    const reply = await doc.post(`${P}/threads/${threadId}/messages`, {
      body: 'Voici votre facture.',
      attachmentIds: [attachmentId],
    });
    expect(reply.status).toBe(201);
    const ref = {
      id: attachmentId,
      fileName: 'facture.pdf',
      contentType: 'application/pdf',
      size: pdfBytes.length,
    };
    expect((reply.body as { message: { attachments: unknown[] } }).message.attachments).toEqual([ref]);
    const seen = await pat.get(`/v1/patient/threads/${threadId}`);
    const messages = (seen.body as { messages: Array<{ attachments?: unknown[] }> }).messages;
    expect(messages.at(-1)?.attachments).toEqual([ref]);
  });

  it('the patient downloads it through a 5-minute presigned GET: the same bytes; the trail shows the download', async () => {
    const res = await pat.get(`/v1/patient/threads/${threadId}/attachments/${attachmentId}`);
    expect(res.status).toBe(200);
    const { downloadUrl } = res.body as { downloadUrl: string };
    expect(downloadUrl).toContain('X-Amz-Expires=300');
    const file = await fetch(downloadUrl);
    expect(file.status).toBe(200);
    expect(Buffer.from(await file.arrayBuffer()).equals(pdfBytes)).toBe(true);

    const trail = await doc.get(`${P}/threads/${threadId}/audit`);
    expect(trail.status).toBe(200);
    const entries = (trail.body as { items: Array<{ action: string; actor: unknown; objects: unknown }> })
      .items;
    expect(entries.filter((e) => e.action === 'attachment.downloaded')).toEqual([
      expect.objectContaining({ objects: expect.objectContaining({ threadId, attachmentId }) }),
    ]);
  });

  it('another patient, or an attachment of another thread, is 404; a used attachment cannot be sent again', async () => {
    expect((await other.get(`/v1/patient/threads/${threadId}/attachments/${attachmentId}`)).status).toBe(404);
    const own = await other.post('/v1/patient/threads', { practitionerId: DOC, body: 'Bonjour' });
    const ownThread = (own.body as { thread: { id: string } }).thread.id;
    expect((await other.get(`/v1/patient/threads/${ownThread}/attachments/${attachmentId}`)).status).toBe(
      404,
    );
    const again = await doc.post(`${P}/threads/${threadId}/messages`, {
      body: 'Encore',
      attachmentIds: [attachmentId],
    });
    expect(again.status).toBe(400);
  });
});

describe('refusals', () => {
  it('a .exe renamed .pdf ends rejected and cannot be attached', async () => {
    const upload = await uploaded(doc, 'practitioner', 'facture.pdf', exeBytes);
    const { Item } = await t.table.doc.send(
      new GetCommand({ TableName: t.table.tableName, Key: keys.attachment(upload.id), ConsistentRead: true }),
    );
    expect(Item).toMatchObject({ status: 'rejected', rejectedReason: 'type-mismatch' });
    const started = await doc.post(`${P}/threads`, {
      patientId: PAT,
      body: 'Votre document',
      replyPolicy: 'none',
      attachmentIds: [upload.id],
    });
    expect(started.status).toBe(400);
    expect(JSON.stringify(started.body)).toContain('attachmentIds');
  });

  it('an upload larger, or of another type, than declared is refused by the signature', async () => {
    const upload = await create(doc, 'practitioner', 'petit.pdf', pdfBytes);
    const bigger = Buffer.concat([pdfBytes, Buffer.alloc(100, 0x20)]);
    const oversize = { ...upload.uploadHeaders, 'Content-Length': String(bigger.length) };
    expect(await curlPut(upload.uploadUrl, fileOf('bigger.pdf', bigger), oversize)).toBe(403);
    const png = { ...upload.uploadHeaders, 'Content-Type': 'image/png' };
    expect(await curlPut(upload.uploadUrl, fileOf('same.pdf', pdfBytes), png)).toBe(403);
  });

  it('patients attach only where the practitioner allows it (patientAttachments)', async () => {
    const upload = await uploaded(pat, 'patient', 'ordonnance.pdf', pdfBytes);
    const refused = await pat.post('/v1/patient/threads', {
      practitionerId: DOC,
      body: 'Mon ordonnance',
      attachmentIds: [upload.id],
    });
    expect(refused.status).toBe(400);
    expect((await doc.patch(`${P}/settings`, { patientAttachments: true })).status).toBe(200);
    const sent = await pat.post('/v1/patient/threads', {
      practitionerId: DOC,
      body: 'Mon ordonnance',
      attachmentIds: [upload.id],
    });
    expect(sent.status).toBe(201);
    const threadId = (sent.body as { thread: { id: string } }).thread.id;
    expect((await doc.get(`${P}/threads/${threadId}/attachments/${upload.id}`)).status).toBe(200);
  });
});

describe('retraction', () => {
  it('detaches the attachments for the patient: 404 for them, the tombstone shows none; the practitioner keeps them', async () => {
    const upload = await uploaded(doc, 'practitioner', 'erreur.pdf', pdfBytes);
    const sent = await doc.post(`${P}/threads`, {
      patientId: PAT,
      body: 'Mauvais document',
      replyPolicy: 'none',
      attachmentIds: [upload.id],
    });
    expect(sent.status).toBe(201);
    const { thread, message } = sent.body as { thread: { id: string }; message: { id: string } };
    expect((await pat.get(`/v1/patient/threads/${thread.id}/attachments/${upload.id}`)).status).toBe(200);
    expect((await doc.delete(`${P}/threads/${thread.id}/messages/${message.id}`)).status).toBe(200);
    expect((await pat.get(`/v1/patient/threads/${thread.id}/attachments/${upload.id}`)).status).toBe(404);
    const seen = await pat.get(`/v1/patient/threads/${thread.id}`);
    expect((seen.body as { messages: Array<Record<string, unknown>> }).messages[0]).not.toHaveProperty(
      'attachments',
    );
    expect((await doc.get(`${P}/threads/${thread.id}/attachments/${upload.id}`)).status).toBe(200);
  });
});

describe('a PDF in a group communication', () => {
  const RECIPIENTS = ['pat-attach-group-1', 'pat-attach-group-2'];

  it('uploaded with curl, sent to a segment; each recipient downloads it, others get 404, the trail shows it', async () => {
    for (const id of RECIPIENTS) {
      const put = await doc.put(`${P}/patients/${id}`, {
        firstName: 'Lou',
        lastName: 'Groupe',
        attributes: { chronic: true },
      });
      expect(put.status).toBe(201);
    }
    const upload = await uploaded(doc, 'practitioner', 'vaccination-grippe.pdf', pdfBytes);
    const sent = await doc.post(`${P}/communications`, {
      body: 'Bonjour {{patient.firstName}}, la fiche de la campagne de vaccination.',
      audience: { attributes: ['chronic'] },
      attachmentIds: [upload.id],
    });
    expect(sent.status).toBe(202);
    const ref = {
      id: upload.id,
      fileName: 'vaccination-grippe.pdf',
      contentType: 'application/pdf',
      size: pdfBytes.length,
    };
    const communication = sent.body as { id: string; attachments: unknown[] };
    expect(communication.attachments).toEqual([ref]);
    // The fan-out runs on the local bus (communication-fanout), then its CommunicationFinished.
    await t.bus.drain();
    const done = await doc.get(`${P}/communications/${communication.id}`);
    expect(done.body).toMatchObject({ status: 'done', sent: RECIPIENTS.length, attachments: [ref] });

    const threadIds: string[] = [];
    for (const id of RECIPIENTS) {
      const patient = await t.as(id, 'patient');
      const threadId = communicationThreadId(communication.id, id);
      threadIds.push(threadId);
      const seen = await patient.get(`/v1/patient/threads/${threadId}`);
      expect(seen.status).toBe(200);
      expect(
        (seen.body as { messages: Array<{ attachments?: unknown[] }> }).messages[0]?.attachments,
      ).toEqual([ref]);
      const link = await patient.get(`/v1/patient/threads/${threadId}/attachments/${upload.id}`);
      expect(link.status).toBe(200);
      const file = await fetch((link.body as { downloadUrl: string }).downloadUrl);
      expect(file.status).toBe(200);
      expect(Buffer.from(await file.arrayBuffer()).equals(pdfBytes)).toBe(true);
    }
    // Outside the audience (PAT, OTHER): 404 through a recipient's thread or their own.
    const [firstThread, secondThread] = threadIds as [string, string];
    expect((await other.get(`/v1/patient/threads/${firstThread}/attachments/${upload.id}`)).status).toBe(404);
    expect((await pat.get(`/v1/patient/threads/${firstThread}/attachments/${upload.id}`)).status).toBe(404);
    // A recipient through another recipient's thread: 404 too.
    const first = await t.as(RECIPIENTS[0] as string, 'patient');
    expect((await first.get(`/v1/patient/threads/${secondThread}/attachments/${upload.id}`)).status).toBe(
      404,
    );
    // The practitioner from any recipient's thread; each download is on that thread's trail.
    expect((await doc.get(`${P}/threads/${secondThread}/attachments/${upload.id}`)).status).toBe(200);
    const trail = await doc.get(`${P}/threads/${firstThread}/audit`);
    expect(trail.status).toBe(200);
    const entries = (trail.body as { items: Array<{ action: string; objects: unknown }> }).items;
    expect(entries.filter((e) => e.action === 'attachment.downloaded')).toEqual([
      expect.objectContaining({
        objects: expect.objectContaining({ threadId: firstThread, attachmentId: upload.id }),
      }),
    ]);
    // Taken by the communication: no message may take it again.
    const again = await doc.post(`${P}/threads`, {
      patientId: PAT,
      body: 'La fiche',
      replyPolicy: 'none',
      attachmentIds: [upload.id],
    });
    expect(again.status).toBe(400);
    groupAttachment = { threadId: firstThread, id: upload.id, patientId: RECIPIENTS[0] as string };
  });

  it('an inbox assistant downloads it on the practitioner’s behalf; without the inbox scope 403, for another practitioner 404', async () => {
    const shared = groupAttachment as { threadId: string; id: string };
    const link = `${P}/threads/${shared.threadId}/attachments/${shared.id}`;
    const AS_DOC = { headers: { 'On-Behalf-Of': DOC } };
    const grant = async (by: ApiClient, assistantId: string, scopes: string[]) =>
      expect(
        (await by.put(`${P}/delegates/${assistantId}`, { displayName: 'Secrétariat', scopes })).status,
      ).toBe(201);
    const inbox = await t.as('asst-attach-inbox', 'assistant');
    const patientsOnly = await t.as('asst-attach-patients', 'assistant');
    const noGrant = await t.as('asst-attach-none', 'assistant');
    await grant(doc, 'asst-attach-inbox', ['inbox']);
    await grant(doc, 'asst-attach-patients', ['patients']);

    const res = await inbox.get(link, AS_DOC);
    expect(res.status).toBe(200);
    const file = await fetch((res.body as { downloadUrl: string }).downloadUrl);
    expect(Buffer.from(await file.arrayBuffer()).equals(pdfBytes)).toBe(true);
    // On the thread's trail as the assistant acting for the practitioner.
    const trail = await doc.get(`${P}/threads/${shared.threadId}/audit`);
    const downloads = (trail.body as { items: Array<{ action: string; actor: unknown }> }).items.filter(
      (e) => e.action === 'attachment.downloaded',
    );
    expect(downloads.at(-1)?.actor).toEqual({ role: 'assistant', id: 'asst-attach-inbox', onBehalfOf: DOC });

    // The matrix (ADR 0015): a grant without `inbox`, no grant, or no On-Behalf-Of: 403 FORBIDDEN.
    for (const refused of [
      await patientsOnly.get(link, AS_DOC),
      await noGrant.get(link, AS_DOC),
      await inbox.get(link),
    ]) {
      expect(refused.status).toBe(403);
      expect((refused.body as { error: { code: string } }).error.code).toBe('FORBIDDEN');
    }
    // Acting for another practitioner who granted `inbox` too: that practitioner's view, where it is not found.
    const otherDoc = await t.as('dr-attach-other', 'practitioner');
    await grant(otherDoc, 'asst-attach-inbox', ['inbox']);
    expect((await inbox.get(link, { headers: { 'On-Behalf-Of': 'dr-attach-other' } })).status).toBe(404);
  });
});

describe('an unused upload', () => {
  it('is gone 24 hours later on the local clock (item and object); a used one stays', async () => {
    const unused = await uploaded(doc, 'practitioner', 'brouillon.pdf', pdfBytes);
    const s3 = t.stack.s3.client();
    const head = (id: string) =>
      s3.send(new HeadObjectCommand({ Bucket: LOCAL_ATTACHMENT_BUCKET, Key: attachmentObjectKey(id) })).then(
        () => true,
        () => false,
      );
    expect(await head(unused.id)).toBe(true);
    await t.clock.advance('PT25H');
    await t.bus.drain();
    expect(await head(unused.id)).toBe(false);
    const started = await doc.post(`${P}/threads`, {
      patientId: PAT,
      body: 'Trop tard',
      replyPolicy: 'none',
      attachmentIds: [unused.id],
    });
    expect(started.status).toBe(400);
    // The one a message took is still there, and still downloadable.
    const kept = sentAttachment as { threadId: string; id: string };
    expect(await head(kept.id)).toBe(true);
    expect((await pat.get(`/v1/patient/threads/${kept.threadId}/attachments/${kept.id}`)).status).toBe(200);
    // So is the one a group communication took, for its recipients.
    const shared = groupAttachment as { threadId: string; id: string; patientId: string };
    expect(await head(shared.id)).toBe(true);
    const recipient = await t.as(shared.patientId, 'patient');
    expect(
      (await recipient.get(`/v1/patient/threads/${shared.threadId}/attachments/${shared.id}`)).status,
    ).toBe(200);
  });
});

describe('an attachment the TTL deletes', () => {
  it('takes its object with it: the TTL’s REMOVE through the outbox publisher, AttachmentRemoved, the remover', async () => {
    const upload = await uploaded(doc, 'practitioner', 'ordonnance.pdf', pdfBytes);
    const sent = await doc.post(`${P}/threads`, {
      patientId: PAT,
      body: 'Votre ordonnance',
      replyPolicy: 'none',
      attachmentIds: [upload.id],
    });
    expect(sent.status).toBe(201);
    const s3 = t.stack.s3.client();
    const head = () =>
      s3
        .send(new HeadObjectCommand({ Bucket: LOCAL_ATTACHMENT_BUCKET, Key: attachmentObjectKey(upload.id) }))
        .then(
          () => true,
          () => false,
        );
    expect(await head()).toBe(true);

    // The item goes. Deleted as a function deletes (no TTL identity), its REMOVE on DynamoDB Local's stream
    // is not even read by the publisher (its filter), so nothing deletes the object.
    await t.table.doc.send(
      new DeleteCommand({ TableName: t.table.tableName, Key: keys.attachment(upload.id) }),
    );
    await t.bus.drain();
    expect(await head()).toBe(true);
    // The same deletion as the TTL makes it in AWS (DynamoDB Local applies no TTL), handed to the publisher.
    const record = removeRecord(keys.attachment(upload.id), '1', { ttl: true });
    const handler = publisher as LambdaHandler;
    expect(
      await handler(
        { Records: [record] } as never,
        createLambdaContext('outbox-publisher', randomUUID(), 30_000),
      ),
    ).toEqual({ batchItemFailures: [] });
    await t.bus.drain();
    expect(await head()).toBe(false);
    // Without its item no link is handed out any more (in AWS its message reaches its TTL at the same time).
    const threadId = (sent.body as { thread: { id: string } }).thread.id;
    expect((await pat.get(`/v1/patient/threads/${threadId}/attachments/${upload.id}`)).status).toBe(404);
  });
});

/**
 * Attachments' use cases on DynamoDB Local and the local S3-compatible server (SPEC 11.3): the upload
 * URL bound to type and length, the checks (type/size, and GuardDuty's scan where required, in either
 * order), attach once and only once under concurrency, the 24-hour expiry, and the object leaving with
 * an item the TTL deletes. Each use case runs with the Deps of the function that calls it in production
 * (its IAM grants enforced).
 */
import { DeleteCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { declaration as outboxPublisher } from '../../functions/outbox-publisher/function.ts';
import { type EventPatternNode, matchesPattern } from '../../local/event-pattern.ts';
import { type S3Local, startS3Local } from '../../local/s3-local.ts';
import {
  ATTACHMENT_ENV,
  LOCAL_ATTACHMENT_BUCKET,
  LOCAL_EXPORT_BUCKET,
  PERSONAL_DATA_ENV,
} from '../../shared/config.ts';
import { keys } from '../../shared/db/keys.ts';
import { DomainError, NotFound } from '../../shared/domain/errors.ts';
import { medicalRecordExpiresAt } from '../../shared/domain/retention.ts';
import { createAttachmentChecksRepository } from '../../shared/repositories/attachment-checks-repository.ts';
import { createPersonalDataRepository } from '../../shared/repositories/personal-data-repository.ts';
import { type AttachmentFiles, s3AttachmentFiles } from '../../shared/runtime/attachment-files.ts';
import { s3ExportStore } from '../../shared/runtime/export-store.ts';
import type { BusEntry } from '../../shared/runtime/publisher.ts';
import {
  checkUploadedObject,
  createAttachment,
  downloadAttachment,
  expireUnusedAttachment,
  recordMalwareScan,
  removeAttachmentObject,
} from '../../shared/use-cases/attachments.ts';
import { withAuditContext } from '../../shared/use-cases/audit.ts';
import {
  communicationThreadId,
  createCommunication,
  getCommunication,
  listCommunications,
  runCommunicationChunk,
  settleCommunicationAttachments,
} from '../../shared/use-cases/communications.ts';
import { sweepDueWork } from '../../shared/use-cases/due-work.ts';
import { erasePatientAsPatient } from '../../shared/use-cases/erasure.ts';
import { buildExportDocument, type ExportStore } from '../../shared/use-cases/exports.ts';
import { publishOutboxRecords } from '../../shared/use-cases/outbox.ts';
import { getPatientThread } from '../../shared/use-cases/patient-messaging.ts';
import { retractMessage } from '../../shared/use-cases/practitioner-controls.ts';
import {
  replyAsPractitioner,
  startPractitionerThread,
} from '../../shared/use-cases/practitioner-messaging.ts';
import { cancelScheduledMessage, scheduleReply } from '../../shared/use-cases/scheduled-messages.ts';
import { removeRecord } from '../support/stream-records.ts';
import { createTestContext } from './harness.ts';

const DOC = 'dr-att';
const PAT = 'pat-att';
const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(500, 0x20)]);
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.alloc(300, 1),
]);

let s3: S3Local;
let files: AttachmentFiles;
let exportStore: ExportStore;
let ctx: Awaited<ReturnType<typeof createTestContext>>;

beforeAll(async () => {
  s3 = await startS3Local({ buckets: [LOCAL_ATTACHMENT_BUCKET, LOCAL_EXPORT_BUCKET] });
  process.env[ATTACHMENT_ENV.bucketName] = LOCAL_ATTACHMENT_BUCKET;
  process.env[PERSONAL_DATA_ENV.s3Endpoint] = s3.url;
  process.env[PERSONAL_DATA_ENV.exportBucketName] = LOCAL_EXPORT_BUCKET;
  files = s3AttachmentFiles();
  exportStore = s3ExportStore();
});
afterAll(() => s3?.stop());
beforeEach(async () => {
  ctx = await createTestContext();
  await ctx.enrol(DOC, PAT);
});

const owner = { role: 'practitioner', id: DOC } as const;

/** The function's ports as its handler builds them: the objects, and its pre-message writes under its grants. */
const portsAs = (name: Parameters<typeof ctx.dbAs>[0]) => ({
  files,
  checks: createAttachmentChecksRepository(ctx.dbAs(name)),
});

/** Creates the attachment as the route does and PUTs `bytes` to its URL with the signed headers. */
const upload = async (
  bytes: Buffer,
  declared: { contentType?: 'application/pdf' | 'image/png'; size?: number } = {},
) => {
  const created = await createAttachment(
    ctx.as('practitioner-create-attachment'),
    portsAs('practitioner-create-attachment'),
    owner,
    {
      fileName: 'compte-rendu.pdf',
      contentType: declared.contentType ?? 'application/pdf',
      size: declared.size ?? bytes.length,
    },
  );
  const put = await fetch(created.uploadUrl, { method: 'PUT', headers: created.uploadHeaders, body: bytes });
  return { created, status: put.status };
};

const check = (id: string, malwareScanRequired = false) =>
  checkUploadedObject(
    ctx.as('attachment-checker'),
    portsAs('attachment-checker'),
    `attachments/${id}`,
    malwareScanRequired,
  );

describe('upload and checks', () => {
  it('a pending item with its 24-hour expiry; the URL is bound to the declared type and length', async () => {
    const { created, status } = await upload(pdf);
    expect(status).toBe(200);
    expect(await ctx.deps.attachments.get(created.id)).toMatchObject({ status: 'pending', ownerId: DOC });
    expect(await ctx.deps.dueWork.get(`attachment-expiry-${created.id}`)).toMatchObject({
      kind: 'attachment-expiry',
      dueAt: '2026-05-15T08:00:00.000Z',
    });
    const other = await createAttachment(
      ctx.as('practitioner-create-attachment'),
      portsAs('practitioner-create-attachment'),
      owner,
      {
        fileName: 'x.pdf',
        contentType: 'application/pdf',
        size: pdf.length,
      },
    );
    const longer = Buffer.concat([pdf, Buffer.from('x')]);
    const refused = await fetch(other.uploadUrl, {
      method: 'PUT',
      headers: { ...other.uploadHeaders, 'Content-Length': String(longer.length) },
      body: longer,
    });
    expect(refused.status).toBe(403);
  });

  it('clean when the bytes match the declaration; rejected on another type or size; a repeat changes nothing', async () => {
    const good = await upload(pdf);
    expect(await check(good.created.id)).toBe('clean');
    expect(await check(good.created.id)).toBe('ignored');
    const disguised = await upload(png, { contentType: 'application/pdf' });
    expect(await check(disguised.created.id)).toBe('rejected');
    expect(await ctx.deps.attachments.get(disguised.created.id)).toMatchObject({
      status: 'rejected',
      rejectedReason: 'type-mismatch',
    });
    expect(await check('01JUNKNOWN0000000000000000')).toBe('ignored');
  });

  it('where the malware scan is required, clean needs both checks, in either order; a threat rejects', async () => {
    const first = await upload(pdf);
    expect(await check(first.created.id, true)).toBe('waiting');
    expect(
      await recordMalwareScan(
        portsAs('attachment-scan-result').checks,
        `attachments/${first.created.id}`,
        'NO_THREATS_FOUND',
      ),
    ).toBe('clean');
    const second = await upload(pdf);
    expect(
      await recordMalwareScan(
        portsAs('attachment-scan-result').checks,
        `attachments/${second.created.id}`,
        'NO_THREATS_FOUND',
      ),
    ).toBe('waiting');
    expect(await check(second.created.id, true)).toBe('clean');
    const infected = await upload(pdf);
    expect(await check(infected.created.id, true)).toBe('waiting');
    expect(
      await recordMalwareScan(
        portsAs('attachment-scan-result').checks,
        `attachments/${infected.created.id}`,
        'THREATS_FOUND',
      ),
    ).toBe('rejected');
    expect(await ctx.deps.attachments.get(infected.created.id)).toMatchObject({ status: 'rejected' });
  });
});

describe('attach', () => {
  it('only the owner’s clean, unused attachments; shown on the message', async () => {
    const clean = await upload(pdf);
    await check(clean.created.id);
    const pending = await upload(pdf);
    const stranger = { role: 'practitioner', practitionerId: 'dr-other' } as const;
    await ctx.enrol('dr-other', PAT);
    const refuse = (actor: { role: 'practitioner'; practitionerId: string }, id: string) =>
      startPractitionerThread(ctx.as('practitioner-start-thread'), actor, {
        patientId: PAT,
        body: 'Document',
        replyPolicy: 'none',
        attachmentIds: [id],
      });
    await expect(refuse(ctx.practitioner(DOC), pending.created.id)).rejects.toMatchObject({
      code: 'VALIDATION_ERROR',
    });
    await expect(refuse(stranger, clean.created.id)).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
    const sent = await refuse(ctx.practitioner(DOC), clean.created.id);
    expect(sent.message).toMatchObject({
      attachments: [
        {
          id: clean.created.id,
          fileName: 'compte-rendu.pdf',
          contentType: 'application/pdf',
          size: pdf.length,
        },
      ],
    });
    expect(await ctx.deps.attachments.get(clean.created.id)).toMatchObject({
      threadId: sent.thread.id,
      messageId: sent.message.id,
    });
  });

  it('the same attachment in 8 parallel replies: exactly one message carries it', async () => {
    const clean = await upload(pdf);
    await check(clean.created.id);
    const threads = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        startPractitionerThread(ctx.as('practitioner-start-thread'), ctx.practitioner(DOC), {
          patientId: PAT,
          body: `Fil ${i}`,
          replyPolicy: 'until_closed',
        }),
      ),
    );
    const results = await Promise.allSettled(
      threads.map(({ thread }) =>
        replyAsPractitioner(ctx.as('practitioner-reply'), ctx.practitioner(DOC), thread.id, {
          body: 'La facture',
          attachmentIds: [clean.created.id],
        }),
      ),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost.every((r) => r.reason instanceof DomainError && r.reason.code === 'VALIDATION_ERROR')).toBe(
      true,
    );
    const winner = (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof replyAsPractitioner>>>).value;
    expect(await ctx.deps.attachments.get(clean.created.id)).toMatchObject({ messageId: winner.message.id });
    // The losers wrote nothing: their threads still hold only their first message.
    for (const { thread } of threads.filter(({ thread }) => thread.id !== winner.thread.id)) {
      expect((await ctx.deps.threads.getThreadPage(thread.id, { limit: 10 }))?.messages).toHaveLength(1);
    }
  });
});

describe('expiry', () => {
  it('deletes an unused attachment (AttachmentRemoved for its object), never a used one', async () => {
    const unused = await upload(pdf);
    const used = await upload(pdf);
    await check(used.created.id);
    await startPractitionerThread(ctx.as('practitioner-start-thread'), ctx.practitioner(DOC), {
      patientId: PAT,
      body: 'Joint',
      replyPolicy: 'none',
      attachmentIds: [used.created.id],
    });
    expect(await expireUnusedAttachment(ctx.as('due-work-sweep'), unused.created.id)).toBe('deleted');
    expect(await expireUnusedAttachment(ctx.as('due-work-sweep'), used.created.id)).toBe('in-use');
    expect(await ctx.deps.attachments.get(unused.created.id)).toBeNull();
    expect(await ctx.deps.attachments.get(used.created.id)).not.toBeNull();
    expect(ctx.published.filter((e) => e.detailType === 'AttachmentRemoved')).toEqual([
      { detailType: 'AttachmentRemoved', data: { attachmentId: unused.created.id, reason: 'unused' } },
    ]);
  });
});

describe('deferred sends', () => {
  const threadWithPatient = () =>
    startPractitionerThread(ctx.as('practitioner-start-thread'), ctx.practitioner(DOC), {
      patientId: PAT,
      body: 'Bonjour',
      replyPolicy: 'until_closed',
    });
  const SEND_AT = '2026-05-17T08:00:00.000Z';

  it('reserve their attachments: the 24-hour expiry leaves them, the delivery carries them', async () => {
    const { thread } = await threadWithPatient();
    const clean = await upload(pdf);
    await check(clean.created.id);
    await scheduleReply(ctx.as('practitioner-reply'), ctx.practitioner(DOC), thread.id, {
      body: 'Votre facture, dans trois jours',
      sendAt: SEND_AT,
      attachmentIds: [clean.created.id],
    });
    // Reserved: no other message takes it.
    await expect(
      replyAsPractitioner(ctx.as('practitioner-reply'), ctx.practitioner(DOC), thread.id, {
        body: 'Tout de suite',
        attachmentIds: [clean.created.id],
      }),
    ).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
    ctx.clock.set('2026-05-15T09:00:00.000Z');
    expect(await sweepDueWork(ctx.as('due-work-sweep'))).toMatchObject({ claimed: 1, skipped: 1 });
    expect(await ctx.deps.attachments.get(clean.created.id)).not.toBeNull();
    ctx.clock.set(SEND_AT);
    expect(await sweepDueWork(ctx.as('due-work-sweep'))).toMatchObject({ done: 1 });
    const { messages } = await getPatientThread(ctx.as('patient-get-thread'), ctx.patient(PAT), thread.id);
    expect(messages.at(-1)).toMatchObject({
      attachments: [{ id: clean.created.id, fileName: 'compte-rendu.pdf' }],
    });
    // A day after sendAt, the reservation's own expiry finds it taken: it stays.
    ctx.clock.set('2026-05-18T09:00:00.000Z');
    await sweepDueWork(ctx.as('due-work-sweep'));
    expect(await ctx.deps.attachments.get(clean.created.id)).toMatchObject({ threadId: thread.id });
  });

  it('a cancelled deferred message lets its attachments expire a day after its sendAt', async () => {
    const { thread } = await threadWithPatient();
    const clean = await upload(pdf);
    await check(clean.created.id);
    const scheduled = await scheduleReply(ctx.as('practitioner-reply'), ctx.practitioner(DOC), thread.id, {
      body: 'Plus tard',
      sendAt: SEND_AT,
      attachmentIds: [clean.created.id],
    });
    await cancelScheduledMessage(
      ctx.as('practitioner-cancel-scheduled-message'),
      ctx.practitioner(DOC),
      scheduled.id,
    );
    ctx.clock.set('2026-05-18T09:00:00.000Z');
    await sweepDueWork(ctx.as('due-work-sweep'));
    expect(await ctx.deps.attachments.get(clean.created.id)).toBeNull();
    expect(ctx.published.filter((e) => e.detailType === 'AttachmentRemoved')).toEqual([
      { detailType: 'AttachmentRemoved', data: { attachmentId: clean.created.id, reason: 'unused' } },
    ]);
  });
});

describe('group communications share their attachments (one item, every recipient’s message)', () => {
  const AUDIENCE = Array.from({ length: 12 }, (_, n) => `pat-comm-${String(n).padStart(2, '0')}`);
  const doc = () => ctx.practitioner(DOC);

  /** The audience: patients of DOC with `chronic`; PAT (enrolled by beforeEach) is not in it. */
  const enrolAudience = () =>
    Promise.all(
      AUDIENCE.map((patientId) =>
        ctx.deps.patients.upsert(
          DOC,
          patientId,
          {
            firstName: 'Lou',
            lastName: patientId,
            email: null,
            attributes: {
              primaryCare: false,
              ald: false,
              chronic: true,
              pregnancyFollowUp: false,
              needsSupport: false,
            },
          },
          ctx.clock.now().toISOString(),
        ),
      ),
    );

  const cleanUpload = async () => {
    const { created } = await upload(pdf);
    expect(await check(created.id)).toBe('clean');
    return created.id;
  };

  const send = (attachmentIds: string[], audience: { attributes: ['chronic'] | ['ald'] }) =>
    createCommunication(ctx.as('practitioner-create-communication'), doc(), {
      body: 'Bonjour {{patient.firstName}}, voici la fiche de vaccination.',
      audience,
      attachmentIds,
    });

  /**
   * Delivers what the use cases publish from `from` on, as EventBridge would to communication-fanout:
   * every chunk request, then its CommunicationFinished (which settles the attachments).
   */
  const drive = async (from: number) => {
    const fanout = () => ctx.as('communication-fanout');
    for (let seen = from; seen < ctx.published.length; seen++) {
      const { detailType, data } = ctx.published[seen] as {
        detailType: string;
        data: Record<string, unknown>;
      };
      const ids = {
        practitionerId: data.practitionerId as string,
        communicationId: data.communicationId as string,
      };
      if (detailType === 'CommunicationRequested') await runCommunicationChunk(fanout(), { ...ids, seq: 0 });
      if (detailType === 'CommunicationChunkRequested') {
        await runCommunicationChunk(fanout(), { ...ids, seq: data.seq as number });
      }
      if (detailType === 'CommunicationFinished') {
        await settleCommunicationAttachments(fanout(), { ...ids, finishedAt: data.finishedAt as string });
      }
    }
  };

  const threadOf = (communicationId: string, patientId: string) =>
    communicationThreadId(communicationId, patientId);

  const download = (role: 'practitioner' | 'patient', id: string, threadId: string, attachmentId: string) =>
    downloadAttachment(
      withAuditContext(ctx.as(`${role}-get-attachment`), { actor: { role, id }, requestId: `req-${id}` }),
      files,
      { role, id },
      threadId,
      attachmentId,
    );

  it('a communication and replies racing for one attachment: exactly one of them commits', async () => {
    const { thread } = await startPractitionerThread(ctx.as('practitioner-start-thread'), doc(), {
      patientId: PAT,
      body: 'Bonjour',
      replyPolicy: 'until_closed',
    });
    let communicationWins = 0;
    for (let round = 0; round < 3; round++) {
      const attachmentId = await cleanUpload();
      const results = await Promise.allSettled([
        ...Array.from({ length: 4 }, () => send([attachmentId], { attributes: ['chronic'] })),
        ...Array.from({ length: 4 }, () =>
          replyAsPractitioner(ctx.as('practitioner-reply'), doc(), thread.id, {
            body: 'La fiche',
            attachmentIds: [attachmentId],
          }),
        ),
      ]);
      const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
      expect(won, `round ${round}`).toHaveLength(1);
      for (const r of results) {
        if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'VALIDATION_ERROR' });
      }
      const item = await ctx.deps.attachments.get(attachmentId);
      const winner = results[won[0] as number] as PromiseFulfilledResult<{
        id?: string;
        message?: { id: string };
      }>;
      if ((won[0] as number) < 4) {
        communicationWins++;
        expect(item).toMatchObject({
          communicationId: winner.value.id,
          messageId: `COMM#${winner.value.id}`,
          threadId: null,
        });
      } else {
        expect(item).toMatchObject({
          communicationId: null,
          threadId: thread.id,
          messageId: winner.value.message?.id,
        });
      }
    }
    // The losing communications stored nothing: one per round a communication won, no more.
    const listed = await listCommunications(ctx.as('practitioner-list-communications'), doc(), { limit: 50 });
    expect(listed.items).toHaveLength(communicationWins);
    expect(listed.items.every((c) => c.attachments.length === 1)).toBe(true);
  });

  it('to N patients: every message lists it, every recipient and the practitioner get a link, anyone else 404', async () => {
    await enrolAudience();
    const attachmentId = await cleanUpload();
    const from = ctx.published.length;
    const communication = await send([attachmentId], { attributes: ['chronic'] });
    const ref = {
      id: attachmentId,
      fileName: 'compte-rendu.pdf',
      contentType: 'application/pdf',
      size: pdf.length,
    };
    expect(communication.attachments).toEqual([ref]);
    await drive(from);
    expect(
      await getCommunication(ctx.as('practitioner-get-communication'), doc(), communication.id),
    ).toMatchObject({
      status: 'done',
      sent: AUDIENCE.length,
    });

    for (const patientId of AUDIENCE) {
      const threadId = threadOf(communication.id, patientId);
      const seen = await getPatientThread(ctx.as('patient-get-thread'), ctx.patient(patientId), threadId);
      expect(seen.messages[0]).toMatchObject({ attachments: [ref] });
      const link = await download('patient', patientId, threadId, attachmentId);
      expect(link.downloadUrl).toContain(`attachments/${attachmentId}`);
      expect((await fetch(link.downloadUrl)).status).toBe(200);
    }
    const [first, second] = AUDIENCE as [string, string];
    // The practitioner (and the inbox assistants acting for them) from any recipient's thread.
    await expect(
      download('practitioner', DOC, threadOf(communication.id, first), attachmentId),
    ).resolves.toBeTruthy();
    // Each download is on that thread's trail.
    const trail = await ctx.deps.audit.listThreadTrail(threadOf(communication.id, first), { limit: 10 });
    expect(trail.items.map((e) => [e.action, e.details])).toEqual([
      ['attachment.downloaded', { by: 'patient' }],
      ['attachment.downloaded', { by: 'practitioner' }],
    ]);

    // Not in the audience: through a recipient's thread, or through their own thread with the practitioner.
    const own = await startPractitionerThread(ctx.as('practitioner-start-thread'), doc(), {
      patientId: PAT,
      body: 'Bonjour',
      replyPolicy: 'none',
    });
    await expect(
      download('patient', PAT, threadOf(communication.id, first), attachmentId),
    ).rejects.toBeInstanceOf(NotFound);
    await expect(download('patient', PAT, own.thread.id, attachmentId)).rejects.toBeInstanceOf(NotFound);
    // A recipient through another recipient's thread; another practitioner through any.
    await expect(
      download('patient', first, threadOf(communication.id, second), attachmentId),
    ).rejects.toBeInstanceOf(NotFound);
    await expect(
      download('practitioner', 'dr-other', threadOf(communication.id, first), attachmentId),
    ).rejects.toBeInstanceOf(NotFound);
    // Another communication's thread of the same practitioner does not name it either.
    const otherFrom = ctx.published.length;
    const other = await send([], { attributes: ['chronic'] });
    await drive(otherFrom);
    await expect(download('patient', first, threadOf(other.id, first), attachmentId)).rejects.toBeInstanceOf(
      NotFound,
    );
    await expect(
      download('practitioner', DOC, threadOf(other.id, first), attachmentId),
    ).rejects.toBeInstanceOf(NotFound);

    // Taken: no other message takes it, and its 24-hour expiry leaves it.
    await expect(
      replyAsPractitioner(ctx.as('practitioner-reply'), doc(), own.thread.id, {
        body: 'x',
        attachmentIds: [attachmentId],
      }),
    ).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
    ctx.clock.set('2026-05-15T09:00:00.000Z');
    await sweepDueWork(ctx.as('due-work-sweep'));
    expect(await expireUnusedAttachment(ctx.as('due-work-sweep'), attachmentId)).toBe('in-use');
    // Kept as long as the last recipient's message: the medical record's retention from the fan-out's end.
    const finished = await getCommunication(
      ctx.as('practitioner-get-communication'),
      doc(),
      communication.id,
    );
    const { Item } = await ctx.db.client.send(
      new GetCommand({ TableName: ctx.db.tableName, Key: keys.attachment(attachmentId) }),
    );
    expect(Item?.expiresAt).toBe(medicalRecordExpiresAt(finished.finishedAt as string));
    expect(ctx.published.filter((e) => e.detailType === 'AttachmentRemoved')).toEqual([]);
  });

  it('retracting one recipient’s message takes the file from that patient only; their erasure leaves it to the others; their export links it', async () => {
    await enrolAudience();
    const attachmentId = await cleanUpload();
    const from = ctx.published.length;
    const communication = await send([attachmentId], { attributes: ['chronic'] });
    await drive(from);
    const [first, second, third] = AUDIENCE as [string, string, string];

    const retractedThread = threadOf(communication.id, first);
    const { messages } = await getPatientThread(
      ctx.as('patient-get-thread'),
      ctx.patient(second),
      threadOf(communication.id, second),
    );
    const firstMessage = await ctx.deps.threads.firstMessageId(retractedThread);
    await retractMessage(
      ctx.as('practitioner-retract-message'),
      doc(),
      retractedThread,
      firstMessage as string,
    );
    await expect(download('patient', first, retractedThread, attachmentId)).rejects.toBeInstanceOf(NotFound);
    await expect(download('practitioner', DOC, retractedThread, attachmentId)).resolves.toBeTruthy();
    await expect(
      download('patient', second, threadOf(communication.id, second), attachmentId),
    ).resolves.toBeTruthy();
    expect(messages[0]?.retracted).toBe(false);

    // The export of a recipient lists it with the route that hands out a link.
    const exportDocument = await buildExportDocument(
      ctx.as('export-worker'),
      { data: createPersonalDataRepository(ctx.dbAs('export-worker')), store: null },
      second,
      'exp-1',
    );
    expect(exportDocument.attachments).toEqual([
      expect.objectContaining({
        id: attachmentId,
        threadId: threadOf(communication.id, second),
        url: `/v1/patient/threads/${threadOf(communication.id, second)}/attachments/${attachmentId}`,
      }),
    ]);

    // The erasure of one recipient: the practitioner's shared document is not theirs to delete.
    await erasePatientAsPatient(
      withAuditContext(ctx.as('patient-erase-self'), {
        actor: { role: 'patient', id: second },
        requestId: 'req-erase',
      }),
      { data: createPersonalDataRepository(ctx.dbAs('patient-erase-self')), store: exportStore },
      ctx.patient(second),
    );
    expect(await ctx.deps.attachments.get(attachmentId)).toMatchObject({ communicationId: communication.id });
    expect(ctx.published.filter((e) => e.detailType === 'AttachmentRemoved')).toEqual([]);
    await expect(
      download('patient', third, threadOf(communication.id, third), attachmentId),
    ).resolves.toBeTruthy();
  });

  it('reaching nobody releases its attachments: the practitioner may send them again, else the expiry deletes them a day later', async () => {
    await enrolAudience();
    const [again, unused] = [await cleanUpload(), await cleanUpload()];
    const from = ctx.published.length;
    // Nobody has `ald`: an empty audience, done with nobody sent.
    const communication = await send([again, unused], { attributes: ['ald'] });
    expect(await ctx.deps.attachments.get(again)).toMatchObject({ communicationId: communication.id });
    // Its fan-out ends after the uploads' own 24-hour expiry ran (a paused or slow one): that left them.
    ctx.clock.set('2026-05-15T09:00:00.000Z');
    await sweepDueWork(ctx.as('due-work-sweep'));
    expect(await ctx.deps.attachments.get(unused)).not.toBeNull();
    await drive(from);
    expect(
      await getCommunication(ctx.as('practitioner-get-communication'), doc(), communication.id),
    ).toMatchObject({
      status: 'done',
      sent: 0,
    });
    for (const id of [again, unused]) {
      expect(await ctx.deps.attachments.get(id)).toMatchObject({
        communicationId: null,
        messageId: null,
        threadId: null,
      });
    }
    // A repeated CommunicationFinished changes nothing.
    expect(
      await settleCommunicationAttachments(ctx.as('communication-fanout'), {
        practitionerId: DOC,
        communicationId: communication.id,
        finishedAt: ctx.clock.now().toISOString(),
      }),
    ).toBe('released');
    // Released with an expiry of their own, a day from now.
    expect(await ctx.deps.dueWork.get(`attachment-expiry-${unused}-${communication.id}`)).toMatchObject({
      kind: 'attachment-expiry',
      dueAt: '2026-05-16T09:00:00.000Z',
    });
    const resent = await send([again], { attributes: ['chronic'] });
    expect(await ctx.deps.attachments.get(again)).toMatchObject({ communicationId: resent.id });
    // A day later: the one left unused is deleted (its object with it), the resent one stays.
    ctx.clock.set('2026-05-16T09:00:01.000Z');
    await sweepDueWork(ctx.as('due-work-sweep'));
    expect(await ctx.deps.attachments.get(unused)).toBeNull();
    expect(await ctx.deps.attachments.get(again)).toMatchObject({ communicationId: resent.id });
    expect(ctx.published.filter((e) => e.detailType === 'AttachmentRemoved')).toEqual([
      { detailType: 'AttachmentRemoved', data: { attachmentId: unused, reason: 'unused' } },
    ]);
  });
  it('an item the TTL deletes takes its object: a message’s and a communication’s at their retention’s end, an unused one at its backstop', async () => {
    await enrolAudience();
    const ofMessage = await cleanUpload();
    const { message } = await startPractitionerThread(ctx.as('practitioner-start-thread'), doc(), {
      patientId: PAT,
      body: 'Votre compte rendu',
      replyPolicy: 'none',
      attachmentIds: [ofMessage],
    });
    expect(await ctx.deps.attachments.get(ofMessage)).toMatchObject({ messageId: message.id });
    const ofCommunication = await cleanUpload();
    const from = ctx.published.length;
    const communication = await send([ofCommunication], { attributes: ['chronic'] });
    await drive(from);
    expect(await ctx.deps.attachments.get(ofCommunication)).toMatchObject({
      communicationId: communication.id,
    });
    const unused = await cleanUpload();
    const deletedByAFunction = await cleanUpload();
    const expired = [ofMessage, ofCommunication, unused];
    for (const id of [...expired, deletedByAFunction]) expect(await files.head(id)).not.toBeNull();

    // Their TTL passes (DynamoDB Local applies none): the items go as the TTL deletes them, and the stream
    // carries REMOVE records shaped like AWS's; one more item is deleted by a function, without the TTL's identity.
    const records = [...expired, deletedByAFunction].map((id, n) =>
      removeRecord(keys.attachment(id), String(n + 1), { ttl: id !== deletedByAFunction }),
    );
    for (const id of [...expired, deletedByAFunction]) {
      await ctx.db.client.send(new DeleteCommand({ TableName: ctx.db.tableName, Key: keys.attachment(id) }));
    }
    // The publisher's event source mapping lets the TTL's through, not the function's.
    const filters = outboxPublisher.stream.filters as EventPatternNode[];
    const delivered = records.filter((r) => filters.some((f) => matchesPattern(f, r)));
    expect(delivered).toHaveLength(expired.length);
    // Even handed the function's delete, the publisher puts nothing for it (its own event was in its transaction).
    const put: BusEntry[] = [];
    const bus = {
      put: async (entries: readonly BusEntry[]) => {
        put.push(...entries);
        return { firstFailed: null };
      },
    };
    expect(await publishOutboxRecords({ events: bus, clock: ctx.clock }, records)).toEqual({
      batchItemFailures: [],
    });
    expect(put.map((e) => [e.definition.detailType, e.envelope.data])).toEqual(
      expired.map((attachmentId) => ['AttachmentRemoved', { attachmentId, reason: 'expired' }]),
    );

    // EventBridge delivers each to attachment-remover (twice here: a redelivery finds the object gone, fine).
    for (const entry of [...put, ...put]) {
      await removeAttachmentObject(files, (entry.envelope.data as { attachmentId: string }).attachmentId);
    }
    for (const id of expired) expect(await files.head(id), id).toBeNull();
    expect(await files.head(deletedByAFunction)).not.toBeNull();
  });
});

/**
 * Attachments' use cases on DynamoDB Local and the local S3-compatible server (SPEC 11.3): the upload
 * URL bound to type and length, the checks (type/size, and GuardDuty's scan where required, in either
 * order), attach once and only once under concurrency, the 24-hour expiry. Each use case runs with the
 * Deps of the function that calls it in production (its IAM grants enforced).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type S3Local, startS3Local } from '../../local/s3-local.ts';
import { ATTACHMENT_ENV, LOCAL_ATTACHMENT_BUCKET, PERSONAL_DATA_ENV } from '../../shared/config.ts';
import { DomainError } from '../../shared/domain/errors.ts';
import { createAttachmentChecksRepository } from '../../shared/repositories/attachment-checks-repository.ts';
import { type AttachmentFiles, s3AttachmentFiles } from '../../shared/runtime/attachment-files.ts';
import {
  checkUploadedObject,
  createAttachment,
  expireUnusedAttachment,
  recordMalwareScan,
} from '../../shared/use-cases/attachments.ts';
import { sweepDueWork } from '../../shared/use-cases/due-work.ts';
import { getPatientThread } from '../../shared/use-cases/patient-messaging.ts';
import {
  replyAsPractitioner,
  startPractitionerThread,
} from '../../shared/use-cases/practitioner-messaging.ts';
import { cancelScheduledMessage, scheduleReply } from '../../shared/use-cases/scheduled-messages.ts';
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
let ctx: Awaited<ReturnType<typeof createTestContext>>;

beforeAll(async () => {
  s3 = await startS3Local({ buckets: [LOCAL_ATTACHMENT_BUCKET] });
  process.env[ATTACHMENT_ENV.bucketName] = LOCAL_ATTACHMENT_BUCKET;
  process.env[PERSONAL_DATA_ENV.s3Endpoint] = s3.url;
  files = s3AttachmentFiles();
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

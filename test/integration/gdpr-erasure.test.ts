/**
 * SPEC 11.6, issue 13 part 5: export and erasure against DynamoDB Local and the
 * local S3-compatible server. The erasure test builds a patient with threads,
 * messages, a notification, an appointment booking and an export, erases, then
 * Scans EVERY item of the table (here, in a test, a Scan is fine) and reads every
 * object of the export bucket, searching for the patient's names and email.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { GetCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type LocalS3, startLocalS3 } from '../../local/s3-local.ts';
import { LOCAL_EXPORT_BUCKET, PERSONAL_DATA_ENV } from '../../shared/config.ts';
import { auditKeys, itemKindOf, keys } from '../../shared/db/keys.ts';
import { NotFound } from '../../shared/domain/errors.ts';
import { createPersonalDataRepository } from '../../shared/repositories/personal-data-repository.ts';
import { s3ExportStore } from '../../shared/runtime/export-store.ts';
import type { Mailer, OutgoingEmail } from '../../shared/runtime/mailer.ts';
import { createS3Client } from '../../shared/runtime/s3-client.ts';
import { recordAppointmentBooked } from '../../shared/use-cases/appointments.ts';
import { withAuditContext } from '../../shared/use-cases/audit.ts';
import type { Deps } from '../../shared/use-cases/deps.ts';
import { erasePatientAsPatient, erasePatientAsPractitioner } from '../../shared/use-cases/erasure.ts';
import {
  buildExport,
  type ExportStore,
  getExport,
  type PersonalDataPorts,
  requestExport,
} from '../../shared/use-cases/exports.ts';
import { notifyPatientOfMessage } from '../../shared/use-cases/notifications.ts';
import { startPatientRequest } from '../../shared/use-cases/patient-messaging.ts';
import { putPatientRecord, updateSettings } from '../../shared/use-cases/practitioner-admin.ts';
import { startPractitionerThread } from '../../shared/use-cases/practitioner-messaging.ts';
import { createTestContext, type FunctionName, type TestContext } from './harness.ts';

const FIRST = 'Zéphyrine';
const LAST = 'Quellemont-Ardois';
const EMAIL = 'zephyrine.quellemont@example.org';
const NEEDLES = [FIRST, LAST, EMAIL, EMAIL.split('@')[0] as string].map((n) => n.toLowerCase());

const ATTRIBUTES = {
  primaryCare: true,
  ald: false,
  chronic: true,
  pregnancyFollowUp: false,
  needsSupport: false,
};

let s3: LocalS3;
let s3Dir: string;
let s3Client: S3Client;
let store: ExportStore;

// A fresh table and a fresh bucket for each test: the searches below cover EVERYTHING in them.
beforeEach(async () => {
  s3Dir = mkdtempSync(join(tmpdir(), 'gdpr-s3-'));
  s3 = await startLocalS3({ port: 0, directory: s3Dir, buckets: [LOCAL_EXPORT_BUCKET] });
  process.env[PERSONAL_DATA_ENV.s3Endpoint] = s3.endpoint;
  process.env[PERSONAL_DATA_ENV.exportBucketName] = LOCAL_EXPORT_BUCKET;
  store = s3ExportStore();
  // The service's own local S3 client (signatures the local server verifies).
  s3Client = createS3Client({ endpoint: s3.endpoint, region: 'eu-west-3' });
});

afterEach(async () => {
  await s3?.stop();
  rmSync(s3Dir, { recursive: true, force: true });
});

/** The ports of declared function `name`, on its DynamoDB client (under its grants), as its handler builds them. */
const portsAs = (ctx: TestContext, name: FunctionName): PersonalDataPorts => ({
  data: createPersonalDataRepository(ctx.dbAs(name)),
  store,
});

const sentEmails: OutgoingEmail[] = [];
const capturingMailer: Mailer = {
  async send(email) {
    sentEmails.push(email);
    return { messageId: `ses-${sentEmails.length}` };
  },
};

const audited = (deps: Deps, role: 'practitioner' | 'patient', id: string) =>
  withAuditContext(deps, { actor: { role, id }, requestId: `req-${Math.random()}` });

const hitsIn = (text: string) => NEEDLES.filter((needle) => text.toLowerCase().includes(needle));

/** Every item of the table (a Scan: tests only) with the needles it contains. */
const tableHits = async (ctx: TestContext) => {
  const hits: { pk: string; sk: string; kind: string | undefined; found: string[] }[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await ctx.db.client.send(
      new ScanCommand({ TableName: ctx.db.tableName, ...(startKey && { ExclusiveStartKey: startKey }) }),
    );
    for (const item of page.Items ?? []) {
      const found = hitsIn(JSON.stringify(item));
      if (found.length > 0) hits.push({ pk: item.pk, sk: item.sk, kind: itemKindOf(item), found });
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return hits;
};

const bucketObjects = async () => {
  const listed = await s3Client.send(new ListObjectsV2Command({ Bucket: LOCAL_EXPORT_BUCKET }));
  return Promise.all(
    (listed.Contents ?? []).map(async ({ Key }) => {
      const object = await s3Client.send(new GetObjectCommand({ Bucket: LOCAL_EXPORT_BUCKET, Key }));
      return { key: Key as string, body: await (object.Body?.transformToString() ?? '') };
    }),
  );
};

/** A patient known to two practitioners, with threads, messages, an email, a booking and a ready export. */
const seedPatient = async (ctx: TestContext, patientId: string) => {
  const drA = `dr-a-${patientId}`;
  const drB = `dr-b-${patientId}`;
  for (const dr of [drA, drB]) {
    await updateSettings(ctx.deps, ctx.practitioner(dr), {
      displayName: 'Dr Test',
      email: `${dr}@example.test`,
    });
  }
  await putPatientRecord(
    audited(ctx.as('practitioner-put-patient'), 'practitioner', drA),
    ctx.practitioner(drA),
    patientId,
    {
      firstName: FIRST,
      lastName: LAST,
      email: EMAIL,
      attributes: ATTRIBUTES,
    },
  );
  // dr B knows the patient from the agenda only (AppointmentBooked carries the names and email).
  await recordAppointmentBooked(
    ctx.as('appointment-events'),
    {
      appointmentId: `appt-${patientId}`,
      practitionerId: drB,
      patientId,
      startsAt: '2026-05-20T09:00:00.000Z',
      motive: 'Contrôle',
      patient: { firstName: FIRST, lastName: LAST, email: EMAIL },
    },
    { time: '2026-05-14T07:00:00.000Z' },
  );
  const request = await startPatientRequest(ctx.as('patient-start-thread'), ctx.patient(patientId), {
    practitionerId: drA,
    body: `Bonjour docteur, c'est ${FIRST} : puis-je avoir une ordonnance ?`,
  });
  const sent = await startPractitionerThread(ctx.as('practitioner-start-thread'), ctx.practitioner(drB), {
    patientId,
    body: 'Votre rendez-vous est confirmé.',
  });
  const outcome = await notifyPatientOfMessage(ctx.as('notify-patient'), {
    practitionerId: drB,
    patientId,
    threadId: sent.thread.id,
    messageId: sent.message.id,
  });
  expect(outcome).toBe('sent');
  const exportAsk = await requestExport(
    ctx.as('patient-request-export'),
    portsAs(ctx, 'patient-request-export'),
    ctx.patient(patientId),
  );
  expect(
    await buildExport(ctx.as('export-worker'), portsAs(ctx, 'export-worker'), {
      patientId,
      exportId: exportAsk.id,
    }),
  ).toMatchObject({
    built: true,
    threads: 2,
  });
  return { drA, drB, exportId: exportAsk.id, threadIds: [request.thread.id, sent.thread.id] };
};

describe('GDPR export and erasure', () => {
  let ctx: TestContext;
  beforeEach(async () => {
    ctx = await createTestContext('2026-05-14T08:00:00.000Z', { mailer: capturingMailer });
  });

  it('export: 202-style pending, built by the worker, a 15-minute link to a JSON file of every thread, message and email', async () => {
    const patientId = 'pat-export';
    const { exportId, threadIds } = await seedPatient(ctx, patientId);
    const answer = await getExport(
      audited(ctx.as('patient-get-export'), 'patient', patientId),
      portsAs(ctx, 'patient-get-export'),
      ctx.patient(patientId),
      exportId,
    );
    expect(answer.status).toBe('ready');
    expect(answer.expiresAt).toBe(new Date(ctx.clock.now().getTime() + 15 * 60_000).toISOString());
    expect(answer.downloadUrl).toMatch(/X-Amz-Expires=900/);
    const file = JSON.parse(await (await fetch(answer.downloadUrl as string)).text());
    expect(file.threads.map((t: { id: string }) => t.id).sort()).toEqual([...threadIds].sort());
    expect(file.threads.flatMap((t: { messages: unknown[] }) => t.messages)).toHaveLength(2);
    expect(file.notifications).toHaveLength(1);
    expect(file.attachments).toEqual([]);
    // The download is audited in the patient's trail, ids only.
    const trail = await ctx.db.client.send(
      new QueryCommand({
        TableName: ctx.db.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': auditKeys.patientPartition(patientId) },
      }),
    );
    expect((trail.Items ?? []).map((i) => i.action)).toContain('patient.exported');
    expect(hitsIn(JSON.stringify(trail.Items))).toEqual([]);
  });

  it("export: another patient's export id, or an unknown one, is 404", async () => {
    const { exportId } = await seedPatient(ctx, 'pat-export-owner');
    await expect(
      getExport(
        ctx.as('patient-get-export'),
        portsAs(ctx, 'patient-get-export'),
        ctx.patient('pat-someone-else'),
        exportId,
      ),
    ).rejects.toBeInstanceOf(NotFound);
    await expect(
      getExport(
        ctx.as('patient-get-export'),
        portsAs(ctx, 'patient-get-export'),
        ctx.patient('pat-export-owner'),
        'no-such-export',
      ),
    ).rejects.toBeInstanceOf(NotFound);
  });

  it('erasure by the patient: 0 hits of the names and email in the table and the bucket, outside the retained messages', async () => {
    const patientId = 'pat-erased';
    const { drA, drB, exportId } = await seedPatient(ctx, patientId);
    const before = await tableHits(ctx);
    expect(
      before.filter((h) => h.pk.includes(patientId) || h.kind === 'patientRecord').length,
    ).toBeGreaterThan(0);
    expect((await bucketObjects()).some((o) => hitsIn(o.body).length > 0)).toBe(true);

    const deps = audited(ctx.as('patient-erase-self'), 'patient', patientId);
    const first = await erasePatientAsPatient(
      deps,
      portsAs(ctx, 'patient-erase-self'),
      ctx.patient(patientId),
    );
    expect(first).toEqual({ status: 'erased', erasedAt: ctx.clock.now().toISOString() });

    const after = await tableHits(ctx);
    // Only message items may still name the patient (their own words, the medical record kept for
    // the legal retention then deleted by TTL); never the email.
    expect(after.filter((h) => h.kind !== 'message')).toEqual([]);
    expect(after.flatMap((h) => h.found)).not.toContain(EMAIL.toLowerCase());
    expect(await bucketObjects()).toEqual([]);
    await expect(
      getExport(
        ctx.as('patient-get-export'),
        portsAs(ctx, 'patient-get-export'),
        ctx.patient(patientId),
        exportId,
      ),
    ).rejects.toBeInstanceOf(NotFound);

    // Records kept with ids and flags, no contact data, under both practitioners.
    for (const dr of [drA, drB]) {
      const { Item } = await ctx.db.client.send(
        new GetCommand({ TableName: ctx.db.tableName, Key: keys.patientRecord(dr, patientId) }),
      );
      expect(Item).toMatchObject({ patientId, practitionerId: dr, erasedAt: first.erasedAt });
      expect(Item).not.toHaveProperty('email');
      expect(Item).not.toHaveProperty('firstName');
    }
    // Audited, ids only: the patient's trail and each practitioner's.
    const audit = (await ctx.db.client.send(new ScanCommand({ TableName: ctx.db.tableName }))).Items?.filter(
      (i) => itemKindOf(i) === 'audit' && i.action === 'patient.erased',
    );
    expect(audit?.map((i) => i.pk).sort()).toEqual(
      [
        auditKeys.patientPartition(patientId),
        auditKeys.practitionerPartition(drA),
        auditKeys.practitionerPartition(drB),
      ].sort(),
    );
    // The event carries ids only.
    const erasedEvents = ctx.published.filter((e) => e.detailType === 'PatientErased');
    expect(erasedEvents).toEqual([
      {
        detailType: 'PatientErased',
        data: { patientId, practitionerId: null, requestedBy: 'patient', erasedAt: first.erasedAt },
      },
    ]);

    // Idempotent: later, the same answer, no second event.
    ctx.clock.advance(60_000);
    const again = await erasePatientAsPatient(
      deps,
      portsAs(ctx, 'patient-erase-self'),
      ctx.patient(patientId),
    );
    expect(again).toEqual(first);
    expect(ctx.published.filter((e) => e.detailType === 'PatientErased')).toHaveLength(1);

    // A redelivered (or replayed) booking from before the erasure does not bring the names back.
    await recordAppointmentBooked(
      ctx.as('appointment-events'),
      {
        appointmentId: `appt-${patientId}`,
        practitionerId: drB,
        patientId,
        startsAt: '2026-05-20T09:00:00.000Z',
        motive: 'Contrôle',
        patient: { firstName: FIRST, lastName: LAST, email: EMAIL },
      },
      { time: '2026-05-14T07:00:00.000Z' },
    );
    expect((await tableHits(ctx)).filter((h) => h.kind !== 'message')).toEqual([]);
    // No notification goes to an erased address.
    const count = sentEmails.length;
    const later = await startPractitionerThread(ctx.as('practitioner-start-thread'), ctx.practitioner(drB), {
      patientId,
      body: 'Un nouveau message.',
    });
    expect(
      await notifyPatientOfMessage(ctx.as('notify-patient'), {
        practitionerId: drB,
        patientId,
        threadId: later.thread.id,
        messageId: later.message.id,
      }),
    ).not.toBe('sent');
    expect(sentEmails).toHaveLength(count);
  });

  it('erasure by a practitioner: their own record only; idempotent; someone they do not know is 404', async () => {
    const patientId = 'pat-prac-erased';
    const { drA, drB } = await seedPatient(ctx, patientId);
    const deps = audited(ctx.as('practitioner-erase-patient'), 'practitioner', drA);
    const first = await erasePatientAsPractitioner(
      deps,
      portsAs(ctx, 'practitioner-erase-patient'),
      ctx.practitioner(drA),
      patientId,
    );
    expect(first).toEqual({ patientId, status: 'erased', erasedAt: ctx.clock.now().toISOString() });
    const record = (dr: string) =>
      ctx.db.client
        .send(new GetCommand({ TableName: ctx.db.tableName, Key: keys.patientRecord(dr, patientId) }))
        .then((r) => r.Item);
    expect(await record(drA)).not.toHaveProperty('email');
    expect(await record(drB)).toMatchObject({ firstName: FIRST, lastName: LAST, email: EMAIL });
    // The patient's export is theirs: the practitioner's erasure leaves it.
    expect((await bucketObjects()).some((o) => o.key.includes(patientId))).toBe(true);

    ctx.clock.advance(60_000);
    expect(
      await erasePatientAsPractitioner(
        deps,
        portsAs(ctx, 'practitioner-erase-patient'),
        ctx.practitioner(drA),
        patientId,
      ),
    ).toEqual(first);
    await expect(
      erasePatientAsPractitioner(
        deps,
        portsAs(ctx, 'practitioner-erase-patient'),
        ctx.practitioner(drA),
        'pat-never-seen',
      ),
    ).rejects.toBeInstanceOf(NotFound);
  });
});

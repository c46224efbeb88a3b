/**
 * The daily window of group-communication recipients per practitioner
 * (`communicationRecipientsPerPractitionerPerDay`, docs/adr/0011) on DynamoDB
 * Local with an injected clock: each fan-out chunk takes its recipients from the
 * Paris day's window, once per chunk (with the chunk's reservation on the
 * communication); a communication larger than what is left pauses and its
 * watchdog (due work) resumes it at the next Paris midnight; creation is refused
 * when the window is already used up.
 */
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { keys } from '../../shared/db/keys.ts';
import { FANOUT_POLICY } from '../../shared/domain/communications.ts';
import { DEFAULT_QUOTAS } from '../../shared/domain/quotas.ts';
import { toErrorResponse } from '../../shared/http/errors.ts';
import {
  type ChunkRequest,
  communicationThreadId,
  createCommunication,
  getCommunication,
  runCommunicationChunk,
} from '../../shared/use-cases/communications.ts';
import { type Deps, needs } from '../../shared/use-cases/deps.ts';
import { sweepDueWork } from '../../shared/use-cases/due-work.ts';
import { createTestContext, type TestContext } from './harness.ts';
import { seedPatientBase } from './practice.ts';

const DOC = 'dr-bulk';
const OTHER_DOC = 'dr-calm';
const LIMIT = 10;
/** 10:00 in Paris (CEST): the day's window closes at 22:00 UTC. */
const DAY_1 = '2026-05-14T08:00:00.000Z';
const MIDNIGHT_1 = '2026-05-14T22:00:00.000Z';
const MIDNIGHT_2 = '2026-05-15T22:00:00.000Z';
const CHUNK = 4;

let ctx: TestContext;

const patientOf = (practitionerId: string, n: number) =>
  `${practitionerId}-pat-${String(n).padStart(3, '0')}`;

const setUp = async (patients: Record<string, number>, limit = LIMIT) => {
  ctx = await createTestContext(DAY_1, {
    quotas: { ...DEFAULT_QUOTAS, communicationRecipientsPerPractitionerPerDay: limit },
  });
  for (const [practitionerId, count] of Object.entries(patients)) {
    await Promise.all(
      Array.from({ length: count }, (_, n) => ctx.enrol(practitionerId, patientOf(practitionerId, n))),
    );
  }
};

const communicate = (practitionerId = DOC) =>
  createCommunication(ctx.as('practitioner-create-communication'), ctx.practitioner(practitionerId), {
    body: 'Bonjour {{patient.firstName}}, le cabinet ferme vendredi.',
    audience: { all: true },
  });

const view = (id: string, practitionerId = DOC) =>
  getCommunication(ctx.as('practitioner-get-communication'), ctx.practitioner(practitionerId), id);

const windowUsed = async (day: string, practitionerId = DOC) => {
  const { Item } = await ctx.db.client.send(
    new GetCommand({
      TableName: ctx.db.tableName,
      Key: keys.practitionerQuota(practitionerId, `DAY#communicationRecipientsPerPractitionerPerDay#${day}`),
      ConsistentRead: true,
    }),
  );
  return Item?.n ?? 0;
};

const chunkRequestsSince = (from: number): ChunkRequest[] =>
  ctx.published.slice(from).flatMap((e) =>
    e.detailType === 'CommunicationRequested' || e.detailType === 'CommunicationChunkRequested'
      ? [
          {
            practitionerId: e.data.practitionerId as string,
            communicationId: e.data.communicationId as string,
            seq: e.detailType === 'CommunicationRequested' ? 0 : (e.data.seq as number),
          },
        ]
      : [],
  );

/** Delivers every chunk request published from `from` on (like EventBridge → Lambda), `copies` at once. */
const drive = async (from: number, copies = 1, deps: () => Deps = () => ctx.as('communication-fanout')) => {
  const queue = chunkRequestsSince(from);
  let seen = ctx.published.length;
  while (queue.length > 0) {
    const request = queue.shift() as ChunkRequest;
    await Promise.all(
      Array.from({ length: copies }, () => runCommunicationChunk(deps(), request, { chunkSize: CHUNK })),
    );
    queue.push(...chunkRequestsSince(seen));
    seen = ctx.published.length;
  }
};

/** One sweep of the due work at `at` (the watchdog checks), then the chunks it handed on. */
const sweepAt = async (at: string) => {
  ctx.clock.set(at);
  const from = ctx.published.length;
  await sweepDueWork(ctx.as('due-work-sweep'));
  await drive(from);
};

/** The threads of a practitioner's base that this communication wrote (derived ids: each once at most). */
const recipientsReached = async (communicationId: string, practitionerId: string, count: number) => {
  let reached = 0;
  for (let n = 0; n < count; n++) {
    const { Item } = await ctx.db.client.send(
      new GetCommand({
        TableName: ctx.db.tableName,
        Key: keys.thread(communicationThreadId(communicationId, patientOf(practitionerId, n))),
      }),
    );
    if (Item) reached++;
  }
  return reached;
};

/** MessageSent events of the communication's threads (each one notifies the patient once). */
const messagesSent = (communicationId: string, practitionerId: string, count: number) => {
  const threads = new Set(
    Array.from({ length: count }, (_, n) =>
      communicationThreadId(communicationId, patientOf(practitionerId, n)),
    ),
  );
  return ctx.published.filter((e) => e.detailType === 'MessageSent' && threads.has(e.data.threadId as string))
    .length;
};

describe('a communication larger than what is left of the day', () => {
  beforeEach(async () => setUp({ [DOC]: 25 }));

  it('sends what the window allows, pauses until the Paris midnight, resumes by its watchdog, completes on day 3', async () => {
    const from = ctx.published.length;
    const created = await communicate();
    expect(created.pausedUntil).toBeNull();
    await drive(from);

    // Day 1: 10 of 25, then paused (status still sending) until the next Paris midnight.
    expect(await view(created.id)).toMatchObject({
      status: 'sending',
      sent: LIMIT,
      total: null,
      pausedUntil: MIDNIGHT_1,
    });
    expect(await windowUsed('2026-05-14')).toBe(LIMIT);
    expect(await recipientsReached(created.id, DOC, 25)).toBe(LIMIT);

    // The window is used up: another communication today is refused at once, nothing stored.
    const before = ctx.published.length;
    const refused = await communicate().catch((e: unknown) => e);
    expect(refused).toMatchObject({
      code: 'RATE_LIMITED',
      details: {
        quota: 'communicationRecipientsPerPractitionerPerDay',
        limit: LIMIT,
        retryAfterSeconds: 14 * 3600,
      },
    });
    expect(toErrorResponse(refused)?.statusCode).toBe(429);
    expect(toErrorResponse(refused)?.headers?.['retry-after']).toBe(String(14 * 3600));
    expect(ctx.published).toHaveLength(before);

    // Its watchdog checks during the pause: no stall counted, nothing sent, not given up.
    for (const at of ['2026-05-14T08:06:00.000Z', '2026-05-14T09:00:00.000Z', '2026-05-14T21:59:00.000Z']) {
      await sweepAt(at);
    }
    expect(await view(created.id)).toMatchObject({ status: 'sending', sent: LIMIT, pausedUntil: MIDNIGHT_1 });

    // Day 2 (Paris midnight): the watchdog resumes it, 10 more, paused again.
    await sweepAt(MIDNIGHT_1);
    expect(await view(created.id)).toMatchObject({
      status: 'sending',
      sent: 2 * LIMIT,
      pausedUntil: MIDNIGHT_2,
    });
    expect(await windowUsed('2026-05-15')).toBe(LIMIT);

    // Day 3: the last 5, done; every patient exactly once.
    await sweepAt('2026-05-15T22:00:30.000Z');
    expect(await view(created.id)).toMatchObject({
      status: 'done',
      sent: 25,
      failed: 0,
      total: 25,
      pausedUntil: null,
    });
    expect(await windowUsed('2026-05-16')).toBe(5);
    expect(await recipientsReached(created.id, DOC, 25)).toBe(25);
    expect(messagesSent(created.id, DOC, 25)).toBe(25);
  });
});

describe('reservations are exact under retries and concurrency', () => {
  beforeEach(async () => setUp({ [DOC]: 16, [OTHER_DOC]: 12 }));

  it('every chunk delivered 3 times at once reserves once: the window counts exactly what was sent', async () => {
    const from = ctx.published.length;
    const created = await communicate();
    await drive(from, 3);
    expect(await view(created.id)).toMatchObject({ status: 'sending', sent: LIMIT, pausedUntil: MIDNIGHT_1 });
    expect(await windowUsed('2026-05-14')).toBe(LIMIT);
    expect(await recipientsReached(created.id, DOC, 16)).toBe(LIMIT);
  });

  it('a chunk run again after a crash before its advance uses its reservation, taking nothing more', async () => {
    const from = ctx.published.length;
    const created = await communicate();
    // The first run of chunk 0 reserves and writes its threads, then dies before its advance commits.
    let crashes = 1;
    const crashing = () => {
      const deps = ctx.as('communication-fanout');
      const communications = needs(deps, 'communications');
      const advance = communications.advance;
      communications.advance = (...args) => {
        if (crashes-- > 0) return Promise.reject(new Error('Lambda timed out'));
        return advance(...args);
      };
      return deps;
    };
    const request = { practitionerId: DOC, communicationId: created.id, seq: 0 };
    await expect(runCommunicationChunk(crashing(), request, { chunkSize: CHUNK })).rejects.toThrow(
      'timed out',
    );
    expect(await windowUsed('2026-05-14')).toBe(CHUNK);
    // Redelivered: same reservation, the same 4 patients (their threads exist), counted once.
    await drive(from);
    expect(await windowUsed('2026-05-14')).toBe(LIMIT);
    expect(await view(created.id)).toMatchObject({ sent: LIMIT, pausedUntil: MIDNIGHT_1 });
    expect(await recipientsReached(created.id, DOC, 16)).toBe(LIMIT);
  });

  it("two communications at once share the day's 10 exactly; another practitioner's goes through whole", async () => {
    const from = ctx.published.length;
    const [a, b, other] = await Promise.all([communicate(), communicate(), communicate(OTHER_DOC)]);
    const requests = chunkRequestsSince(from);
    // The fan-outs run side by side, each chunk delivered twice.
    const seen = ctx.published.length;
    await Promise.all(
      requests.flatMap((request) => [
        runCommunicationChunk(ctx.as('communication-fanout'), request, { chunkSize: CHUNK }),
        runCommunicationChunk(ctx.as('communication-fanout'), request, { chunkSize: CHUNK }),
      ]),
    );
    await drive(seen, 2);
    const [va, vb, vo] = await Promise.all([view(a.id), view(b.id), view(other.id, OTHER_DOC)]);
    expect(va.sent + vb.sent).toBe(LIMIT);
    expect(await windowUsed('2026-05-14')).toBe(LIMIT);
    expect((await recipientsReached(a.id, DOC, 16)) + (await recipientsReached(b.id, DOC, 16))).toBe(LIMIT);
    expect(va.pausedUntil).toBe(MIDNIGHT_1);
    expect(vb.pausedUntil).toBe(MIDNIGHT_1);
    // The other practitioner: their own window, 10 today, then 2 after midnight.
    expect(vo).toMatchObject({ sent: LIMIT, pausedUntil: MIDNIGHT_1 });
    expect(await windowUsed('2026-05-14', OTHER_DOC)).toBe(LIMIT);
  });
});

describe('unchanged for small communications', () => {
  beforeEach(async () => setUp({ [DOC]: 6 }));

  it('a communication within the window: done the same day, the window counts its recipients', async () => {
    const from = ctx.published.length;
    const created = await communicate();
    await drive(from);
    expect(await view(created.id)).toMatchObject({ status: 'done', sent: 6, total: 6, pausedUntil: null });
    expect(await windowUsed('2026-05-14')).toBe(6);
    const { Items } = await ctx.db.client.send(
      new QueryCommand({
        TableName: ctx.db.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :sk)',
        ExpressionAttributeValues: { ':pk': `PRAC#${DOC}`, ':sk': 'QUOTA#DAY#communicationRecipients' },
      }),
    );
    expect(Items).toHaveLength(1);
  });
});

describe('a chunk cut short by its time budget', () => {
  /** One wave of a chunk (its transactions all in flight at once), then 10 more. */
  const WAVE = FANOUT_POLICY.recipientsPerTransaction * FANOUT_POLICY.transactionsInFlight;
  const BIG = WAVE + 10;
  beforeEach(async () => {
    await setUp({}, 1000);
    // In batches (upserts one by one would be slow).
    await seedPatientBase(
      ctx,
      DOC,
      Array.from({ length: BIG }, (_, n) => patientOf(DOC, n)),
    );
  });

  it('gives back, in its advance, what it reserved and did not send', async () => {
    const from = ctx.published.length;
    const created = await communicate();
    // Chunk 0 takes them all but its time is up after the first wave.
    await runCommunicationChunk(
      ctx.as('communication-fanout'),
      { practitionerId: DOC, communicationId: created.id, seq: 0 },
      { chunkSize: BIG, shouldContinue: () => false },
    );
    expect(await view(created.id)).toMatchObject({ status: 'sending', sent: WAVE });
    expect(await windowUsed('2026-05-14')).toBe(WAVE);
    // The rest (chunk 1, handed on by chunk 0's advance): the window counts each recipient once.
    await drive(from + 1);
    expect(await view(created.id)).toMatchObject({ status: 'done', sent: BIG, total: BIG });
    expect(await windowUsed('2026-05-14')).toBe(BIG);
  });
});

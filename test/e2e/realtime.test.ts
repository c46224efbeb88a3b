import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { connectionKeys } from '../../shared/db/keys.ts';
import { calendarDay } from '../../shared/domain/time-to-treat.ts';
import { STATS_TIME_ZONE } from '../../shared/use-cases/stats.ts';
import { startTestApi, type TestApi } from '../support/index.ts';

/**
 * SPEC 11.4 against the local stack, with a real WebSocket client: the `$connect` authorizer, the
 * connection items, the notifier posting through the (local) Management API, and what is on the wire.
 */
let t: TestApi;
beforeAll(async () => {
  t = await startTestApi();
});
afterAll(() => t?.stop());

/** A connected client that keeps every raw frame it receives. */
interface Listener {
  socket: WebSocket;
  frames: string[];
  /** Resolves with the first parsed frame matching, waiting up to `ms`. */
  next(match: (frame: Record<string, unknown>) => boolean, ms?: number): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

const connect = (token: string): Promise<Listener> =>
  new Promise((resolve, reject) => {
    const socket = new WebSocket(`${t.stack.urls.webSocket}/?token=${encodeURIComponent(token)}`);
    const frames: string[] = [];
    const waiters: Array<() => void> = [];
    socket.on('message', (data) => {
      frames.push(data.toString());
      for (const wake of waiters.splice(0)) wake();
    });
    socket.once('unexpected-response', (_req, res) => reject(new Error(`refused: ${res.statusCode}`)));
    socket.once('error', reject);
    socket.once('open', () =>
      resolve({
        socket,
        frames,
        next: (match, ms = 5000) =>
          new Promise((found, fail) => {
            const deadline = setTimeout(
              () => fail(new Error(`no matching frame in ${ms} ms: ${frames.join(' | ')}`)),
              ms,
            );
            const look = () => {
              const hit = frames.map((f) => JSON.parse(f) as Record<string, unknown>).find(match);
              if (hit) {
                clearTimeout(deadline);
                found(hit);
              } else waiters.push(look);
            };
            look();
          }),
        close: () =>
          new Promise((closed) => {
            socket.once('close', () => closed());
            socket.close();
          }),
      }),
    );
  });

/** The status the upgrade was refused with. */
const refusal = (url: string): Promise<number> =>
  new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    socket.once('open', () => {
      socket.close();
      reject(new Error('connection accepted'));
    });
    socket.once('error', () => undefined);
  });

const connectionsOf = async (role: 'practitioner' | 'patient' | 'assistant', userId: string) => {
  const page = await t.stack.dynamoDbClient.send(
    new QueryCommand({
      TableName: t.stack.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': connectionKeys.partition(role, userId) },
    }),
  );
  return page.Items ?? [];
};

const until = async (check: () => Promise<boolean>, ms = 5000) => {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 25));
  }
};

const SECRET_BODY = 'Douleur thoracique depuis ce matin, est-ce grave ?';

describe('the live inbox over WebSocket (SPEC 11.4)', () => {
  it('a patient writes: the practitioner gets message.new and summary within a second, with no text on the wire', async () => {
    const doc = await t.as('dr-live', 'practitioner');
    const pat = await t.as('pat-live', 'patient');
    await doc.put('/v1/practitioner/patients/pat-live', { firstName: 'Léa', lastName: 'Live' });
    const practitioner = await connect(await t.tokenFor('dr-live', 'practitioner'));
    const patient = await connect(await t.tokenFor('pat-live', 'patient'));
    expect(await connectionsOf('practitioner', 'dr-live')).toHaveLength(1);

    // The first delivery of a fresh stack pays one-time costs (stream shards found, SDK clients warmed), as a
    // cold Lambda would: a first request from another patient, then three requests timed from their commit
    // (the 201) to the frame on the practitioner's socket; their median must be under a second.
    const others = ['pat-warm', 'pat-live-1', 'pat-live-2'];
    const delays: number[] = [];
    for (const [n, other] of others.entries()) {
      await doc.put(`/v1/practitioner/patients/${other}`, { firstName: 'Al', lastName: 'Other' });
      const client = await t.as(other, 'patient');
      const started = await client.post('/v1/patient/threads', {
        practitionerId: 'dr-live',
        body: SECRET_BODY,
      });
      const committedAt = Date.now();
      await practitioner.next(
        (f) => f.type === 'message.new' && f.threadId === started.body.thread.id,
        10_000,
      );
      if (n > 0) delays.push(Date.now() - committedAt);
    }
    const request = await pat.post('/v1/patient/threads', { practitionerId: 'dr-live', body: SECRET_BODY });
    expect(request.status).toBe(201);
    const committedAt = Date.now();
    const threadId: string = request.body.thread.id;
    await practitioner.next((f) => f.type === 'message.new' && f.threadId === threadId, 10_000);
    delays.push(Date.now() - committedAt);
    expect(delays.sort((x, y) => x - y)[1]).toBeLessThan(1000);
    await t.bus.drain();
    const summaries = practitioner.frames.filter((f) => f.includes('"summary"'));
    expect(JSON.parse(summaries.at(-1) ?? '{}')).toEqual({
      type: 'summary',
      summary: (await doc.get('/v1/practitioner/summary')).body,
    });
    // The patient's own devices learn their thread changed.
    expect(await patient.next((f) => f.type === 'thread.updated')).toEqual({
      type: 'thread.updated',
      threadId,
    });

    // The patient reads the practitioner's reply: a read receipt for the practice, new counts for the patient.
    await doc.post(`/v1/practitioner/threads/${threadId}/messages`, {
      body: 'Appelez le 15.',
      replyPolicy: 'single',
    });
    expect(await patient.next((f) => f.type === 'message.new')).toEqual({ type: 'message.new', threadId });
    expect(await patient.next((f) => f.type === 'summary')).toEqual({
      type: 'summary',
      summary: { unreadMessages: 1 },
    });
    expect((await pat.post(`/v1/patient/threads/${threadId}/read`)).status).toBe(200);
    expect(await practitioner.next((f) => f.type === 'message.read')).toEqual({
      type: 'message.read',
      threadId,
    });
    expect(await patient.next((f) => f.type === 'message.read')).toEqual({ type: 'message.read', threadId });
    await patient.next(
      (f) => f.type === 'summary' && (f.summary as { unreadMessages: number }).unreadMessages === 0,
    );
    await t.bus.drain();

    // On the raw frames: no message text, only the notification fields.
    for (const frame of [...practitioner.frames, ...patient.frames]) {
      expect(frame).not.toContain('Douleur');
      expect(frame).not.toContain('Appelez');
      expect(Object.keys(JSON.parse(frame)).every((k) => ['type', 'threadId', 'summary'].includes(k))).toBe(
        true,
      );
    }
    await practitioner.close();
    await patient.close();
  });

  it("a practice's assistant with inbox gets the practitioner's frames tagged with practitionerId, until revoked", async () => {
    const doc = await t.as('dr-team-live', 'practitioner');
    const pat = await t.as('pat-team-live', 'patient');
    const later = await t.as('pat-team-later', 'patient');
    await doc.put('/v1/practitioner/patients/pat-team-live', { firstName: 'Léa', lastName: 'Equipe' });
    await doc.put('/v1/practitioner/patients/pat-team-later', { firstName: 'Noé', lastName: 'Apres' });
    const inbox = await doc.put('/v1/practitioner/delegates/asst-live', {
      displayName: 'Sophie (secrétariat)',
      scopes: ['inbox'],
    });
    expect(inbox.status).toBe(201);
    const noInbox = await doc.put('/v1/practitioner/delegates/asst-no-inbox', {
      displayName: 'Marc (comptabilité)',
      scopes: ['patients', 'settings'],
    });
    expect(noInbox.status).toBe(201);
    const practitioner = await connect(await t.tokenFor('dr-team-live', 'practitioner'));
    const assistant = await connect(await t.tokenFor('asst-live', 'assistant'));
    const outsider = await connect(await t.tokenFor('asst-no-inbox', 'assistant'));
    expect(await connectionsOf('assistant', 'asst-live')).toHaveLength(1);
    expect(await connectionsOf('assistant', 'asst-no-inbox')).toHaveLength(1);

    const first = await pat.post('/v1/patient/threads', {
      practitionerId: 'dr-team-live',
      body: SECRET_BODY,
    });
    expect(first.status).toBe(201);
    const threadId: string = first.body.thread.id;
    expect(await assistant.next((f) => f.type === 'message.new', 10_000)).toEqual({
      type: 'message.new',
      threadId,
      practitionerId: 'dr-team-live',
    });
    await practitioner.next((f) => f.type === 'message.new' && f.threadId === threadId);
    await t.bus.drain();
    const counts = (await doc.get('/v1/practitioner/summary')).body;
    expect(counts.untreatedMessages).toBe(1);
    expect(await assistant.next((f) => f.type === 'summary')).toEqual({
      type: 'summary',
      practitionerId: 'dr-team-live',
      summary: counts,
    });

    // Revoked: the next patient message reaches the practitioner, not the former assistant.
    expect((await doc.delete('/v1/practitioner/delegates/asst-live')).status).toBe(204);
    const second = await later.post('/v1/patient/threads', {
      practitionerId: 'dr-team-live',
      body: SECRET_BODY,
    });
    expect(second.status).toBe(201);
    await practitioner.next((f) => f.type === 'message.new' && f.threadId === second.body.thread.id, 10_000);
    await t.bus.drain();
    expect(assistant.frames.map((f) => JSON.parse(f).threadId)).not.toContain(second.body.thread.id);
    expect(assistant.frames).toHaveLength(2);
    // Without the inbox scope, nothing ever came.
    expect(outsider.frames).toEqual([]);

    // On the raw frames: no message text, no name, only the notification fields.
    for (const frame of [...assistant.frames, ...practitioner.frames]) {
      for (const secret of ['Douleur', 'Sophie', 'Léa', 'Noé', 'Equipe']) expect(frame).not.toContain(secret);
      expect(
        Object.keys(JSON.parse(frame)).every((k) =>
          ['type', 'threadId', 'practitionerId', 'summary'].includes(k),
        ),
      ).toBe(true);
    }
    for (const frame of practitioner.frames) expect(JSON.parse(frame)).not.toHaveProperty('practitionerId');
    await practitioner.close();
    await assistant.close();
    await outsider.close();
  });

  it('refuses a missing, bad, expired or wrong-pool token at connect, and access tokens', async () => {
    const url = t.stack.urls.webSocket;
    expect(await refusal(`${url}/`)).toBe(401);
    expect(await refusal(`${url}/?token=not-a-jwt`)).toBe(401);
    const expired = await t.tokenFor('dr-x', 'practitioner', { expiresInSeconds: -60 });
    expect(await refusal(`${url}/?token=${expired}`)).toBe(401);
    // A patient-pool token that claims the practitioner role (the pools' audiences differ).
    const wrongPool = await t.tokenFor('pat-x', 'patient', { claims: { 'custom:role': 'practitioner' } });
    expect(await refusal(`${url}/?token=${wrongPool}`)).toBe(401);
    // Nor may a patient-pool token claim to be an assistant, nor an assistant's token be expired.
    const patientAssistant = await t.tokenFor('pat-x', 'patient', { claims: { 'custom:role': 'assistant' } });
    expect(await refusal(`${url}/?token=${patientAssistant}`)).toBe(401);
    const expiredAssistant = await t.tokenFor('asst-x', 'assistant', { expiresInSeconds: -60 });
    expect(await refusal(`${url}/?token=${expiredAssistant}`)).toBe(401);
    const access = await t.tokenFor('dr-x', 'practitioner', { claims: { token_use: 'access' } });
    expect(await refusal(`${url}/?token=${access}`)).toBe(401);
    const otherIssuer = await t.tokenFor('dr-x', 'practitioner', {
      claims: { iss: 'https://elsewhere.example' },
    });
    expect(await refusal(`${url}/?token=${otherIssuer}`)).toBe(401);
    expect(await connectionsOf('practitioner', 'dr-x')).toHaveLength(0);
    expect(await connectionsOf('patient', 'pat-x')).toHaveLength(0);
    expect(await connectionsOf('assistant', 'asst-x')).toHaveLength(0);
    expect(await connectionsOf('assistant', 'pat-x')).toHaveLength(0);
  });

  it('a closed connection is removed, and one that vanished without $disconnect is dropped on the next post', async () => {
    const doc = await t.as('dr-close', 'practitioner');
    const pat = await t.as('pat-close', 'patient');
    await doc.put('/v1/practitioner/patients/pat-close', { firstName: 'Jo', lastName: 'Close' });
    const first = await connect(await t.tokenFor('dr-close', 'practitioner'));
    const second = await connect(await t.tokenFor('dr-close', 'practitioner'));
    expect(await connectionsOf('practitioner', 'dr-close')).toHaveLength(2);

    await first.close();
    await until(async () => (await connectionsOf('practitioner', 'dr-close')).length === 1);

    // A connection item whose socket is gone (a lost $disconnect): the Management API answers 410.
    await t.stack.dynamoDbClient.send(
      new PutCommand({
        TableName: t.stack.tableName,
        Item: {
          ...connectionKeys.connection('practitioner', 'dr-close', 'gone-connection-id'),
          connectionId: 'gone-connection-id',
          expiresAt: Math.floor(Date.now() / 1000) + 3600,
        },
      }),
    );
    expect(await connectionsOf('practitioner', 'dr-close')).toHaveLength(2);
    await pat.post('/v1/patient/threads', { practitionerId: 'dr-close', body: 'Bonjour' });
    await second.next((f) => f.type === 'message.new');
    await t.bus.drain();
    const left = await connectionsOf('practitioner', 'dr-close');
    expect(left.map((c) => c.sk)).not.toContain('gone-connection-id');
    expect(left).toHaveLength(1);
    await second.close();
  });
});

describe('time-to-treat statistics over HTTP (SPEC 11.5)', () => {
  it('GET /v1/practitioner/stats counts a request received and treated, from the events', async () => {
    const doc = await t.as('dr-stats', 'practitioner');
    const pat = await t.as('pat-stats', 'patient');
    await doc.put('/v1/practitioner/patients/pat-stats', { firstName: 'Ana', lastName: 'Stats' });
    const request = await pat.post('/v1/patient/threads', { practitionerId: 'dr-stats', body: SECRET_BODY });
    const threadId: string = request.body.thread.id;
    await t.bus.drain();
    const today = calendarDay(STATS_TIME_ZONE)(new Date().toISOString());
    const open = await doc.get('/v1/practitioner/stats', { query: { from: today, to: today } });
    expect(open.status).toBe(200);
    expect(open.body.total).toMatchObject({
      requestsReceived: 1,
      requestsTreated: 0,
      openBacklog: 1,
      oldestOpenDay: today,
    });

    expect((await doc.post(`/v1/practitioner/threads/${threadId}/read`)).status).toBe(200);
    expect((await doc.post(`/v1/practitioner/threads/${threadId}/treat`)).status).toBe(200);
    await t.bus.drain();
    const treated = await doc.get('/v1/practitioner/stats', { query: { from: today, to: today } });
    expect(treated.body.total).toEqual({
      requestsReceived: 1,
      requestsTreated: 1,
      medianHoursToTreat: 1,
      p90HoursToTreat: 1,
      treatedWithin48hShare: 1,
      openBacklog: 0,
      oldestOpenDay: null,
    });
    expect(treated.body.weeks).toHaveLength(1);
    // Another practitioner sees none of it; a bad range is a 400 and changes nothing.
    const other = await t.as('dr-other', 'practitioner');
    expect(
      (await other.get('/v1/practitioner/stats', { query: { from: today, to: today } })).body.total
        .requestsReceived,
    ).toBe(0);
    const tooLong = await doc.get('/v1/practitioner/stats', {
      query: { from: '2024-01-01', to: '2025-01-02' },
    });
    expect(tooLong.status).toBe(400);
    const reversed = await doc.get('/v1/practitioner/stats', { query: { from: today, to: '2020-01-01' } });
    expect(reversed.status).toBe(400);
    expect(
      (await doc.get('/v1/practitioner/stats', { query: { from: '2026-02-30', to: '2026-03-01' } })).status,
    ).toBe(400);
  });
});

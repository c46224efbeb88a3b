/**
 * The live inbox's fan-out to a practice's assistants (SPEC 11.4 + 11.2, ADR 0017) on DynamoDB Local,
 * through the notifier's own declared grants (local IAM enforcement): who is told, with which frames,
 * at what cost in round-trips, and that a revocation or a narrowed scope holds from the next event.
 * The poster is the only stand-in: it records what would go to API Gateway's Management API.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { needs } from '../../shared/use-cases/deps.ts';
import {
  type ConnectionPoster,
  notifyPractice,
  onMessageReceived,
  onMessageSent,
  onMessagesRead,
  type RealtimeDeps,
} from '../../shared/use-cases/realtime.ts';
import { createTestContext, type TestContext } from './harness.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});

/** Records every frame by connection; `gone` connections answer 410. */
const recordingPoster = (gone: ReadonlySet<string> = new Set()) => {
  const frames = new Map<string, Record<string, unknown>[]>();
  const poster: ConnectionPoster = {
    async post(connectionId, data) {
      if (gone.has(connectionId)) return 'gone';
      frames.set(connectionId, [...(frames.get(connectionId) ?? []), JSON.parse(data)]);
      return 'sent';
    },
  };
  return { poster, framesOf: (connectionId: string) => frames.get(connectionId) ?? [] };
};

const notifierDeps = (poster: ConnectionPoster): RealtimeDeps => {
  const deps = ctx.as('realtime-notify');
  return {
    clock: deps.clock,
    connections: needs(deps, 'connections'),
    counters: deps.counters,
    poster,
  };
};

const grant = (
  practitionerId: string,
  assistantId: string,
  scopes: Array<'inbox' | 'patients' | 'settings'>,
) =>
  ctx.deps.delegates.put(
    practitionerId,
    assistantId,
    { displayName: `Assistant ${assistantId}`, scopes, notify: false },
    ctx.clock.now().toISOString(),
  );

const connect = (role: 'practitioner' | 'patient' | 'assistant', userId: string, connectionId: string) =>
  needs(ctx.deps, 'connections').add(role, userId, connectionId, ctx.clock.now());

describe('the practice side of a change reaches its inbox assistants', () => {
  it('message.new + the practice summary, tagged with practitionerId, to inbox assistants only', async () => {
    const change = { practitionerId: 'dr-fan', patientId: 'pat-fan', threadId: 'thread-fan-1' };
    await grant('dr-fan', 'asst-inbox', ['inbox']);
    await grant('dr-fan', 'asst-both', ['patients', 'inbox']);
    await grant('dr-fan', 'asst-patients', ['patients', 'settings']);
    await connect('practitioner', 'dr-fan', 'c-doc');
    await connect('assistant', 'asst-inbox', 'c-inbox-1');
    await connect('assistant', 'asst-inbox', 'c-inbox-2');
    await connect('assistant', 'asst-both', 'c-both');
    await connect('assistant', 'asst-patients', 'c-patients');
    await connect('patient', 'pat-fan', 'c-pat');
    const { poster, framesOf } = recordingPoster();

    const delivery = await onMessageReceived(notifierDeps(poster), change);

    const summary = { untreatedMessages: 0, unreadThreads: 0, openThreads: 0 };
    expect(framesOf('c-doc')).toEqual([
      { type: 'message.new', threadId: 'thread-fan-1' },
      { type: 'summary', summary },
    ]);
    for (const connectionId of ['c-inbox-1', 'c-inbox-2', 'c-both'])
      expect(framesOf(connectionId)).toEqual([
        { type: 'message.new', threadId: 'thread-fan-1', practitionerId: 'dr-fan' },
        { type: 'summary', practitionerId: 'dr-fan', summary },
      ]);
    expect(framesOf('c-patients')).toEqual([]);
    expect(framesOf('c-pat')).toEqual([{ type: 'thread.updated', threadId: 'thread-fan-1' }]);
    expect(delivery.assistants).toEqual({
      'asst-inbox': { connections: 2, sent: 4, removed: 0 },
      'asst-both': { connections: 1, sent: 2, removed: 0 },
    });
  });

  it('costs one Query of the grants, one Query per inbox assistant, and one read of the summary', async () => {
    const change = { practitionerId: 'dr-cost', patientId: 'pat-cost', threadId: 'thread-cost' };
    await grant('dr-cost', 'asst-c1', ['inbox']);
    await grant('dr-cost', 'asst-c2', ['inbox']);
    await grant('dr-cost', 'asst-c3', ['settings']);
    await connect('practitioner', 'dr-cost', 'c-cost-doc');
    await connect('assistant', 'asst-c1', 'c-cost-1');
    const { poster } = recordingPoster();
    const deps = notifierDeps(poster);
    const commands = await ctx.commandsOf('realtime-notify', () =>
      notifyPractice(deps, change, 'message.new', true),
    );
    // Practitioner's connections + grants + asst-c1's + asst-c2's connections; one GetItem of the counters.
    expect(commands.filter((c) => c === 'Query')).toHaveLength(4);
    expect(commands.filter((c) => c === 'GetItem')).toHaveLength(1);
    expect(commands).toHaveLength(5);

    // A practice without delegates pays one Query of an empty partition, nothing else.
    const alone = await ctx.commandsOf('realtime-notify', () =>
      notifyPractice(deps, { practitionerId: 'dr-alone', threadId: 't' }, 'message.new', true),
    );
    expect(alone).toEqual(['Query', 'Query']);
  });

  it('a revocation or a narrowed scope holds from the next event', async () => {
    const change = { practitionerId: 'dr-rev', patientId: 'pat-rev', threadId: 'thread-rev' };
    await grant('dr-rev', 'asst-rev', ['inbox']);
    await grant('dr-rev', 'asst-narrow', ['inbox', 'patients']);
    await connect('practitioner', 'dr-rev', 'c-rev-doc');
    await connect('assistant', 'asst-rev', 'c-rev');
    await connect('assistant', 'asst-narrow', 'c-narrow');
    const first = recordingPoster();
    await onMessageSent(notifierDeps(first.poster), change);
    expect(first.framesOf('c-rev')).toEqual([
      { type: 'thread.updated', threadId: 'thread-rev', practitionerId: 'dr-rev' },
    ]);
    expect(first.framesOf('c-narrow')).toHaveLength(1);

    expect(await ctx.deps.delegates.remove('dr-rev', 'asst-rev')).toBe(true);
    await grant('dr-rev', 'asst-narrow', ['patients']);
    const next = recordingPoster();
    await onMessagesRead(notifierDeps(next.poster), { ...change, reader: 'patient' });
    expect(next.framesOf('c-rev-doc')).toEqual([{ type: 'message.read', threadId: 'thread-rev' }]);
    expect(next.framesOf('c-rev')).toEqual([]);
    expect(next.framesOf('c-narrow')).toEqual([]);
  });

  it('an assistant working for two practices is told whose inbox moved; a gone connection is removed', async () => {
    await grant('dr-a', 'asst-shared', ['inbox']);
    await grant('dr-b', 'asst-shared', ['inbox']);
    await connect('assistant', 'asst-shared', 'c-shared');
    await connect('assistant', 'asst-shared', 'c-shared-gone');
    const { poster, framesOf } = recordingPoster(new Set(['c-shared-gone']));
    const deps = notifierDeps(poster);
    await onMessageReceived(deps, { practitionerId: 'dr-a', patientId: 'p1', threadId: 'ta' });
    await onMessageReceived(deps, { practitionerId: 'dr-b', patientId: 'p2', threadId: 'tb' });
    expect(
      framesOf('c-shared')
        .filter((f) => f.type === 'message.new')
        .map((f) => [f.practitionerId, f.threadId]),
    ).toEqual([
      ['dr-a', 'ta'],
      ['dr-b', 'tb'],
    ]);
    const left = await needs(ctx.deps, 'connections').list('assistant', 'asst-shared', ctx.clock.now());
    expect(left.map((c) => c.connectionId)).toEqual(['c-shared']);
  });
});

import { beforeEach, describe, expect, it } from 'vitest';
import type { EventPublisher } from '../../shared/runtime/publisher.ts';
import type { Deps } from '../../shared/use-cases/deps.ts';
import { sweepDueWork } from '../../shared/use-cases/due-work.ts';
import { startPatientRequest } from '../../shared/use-cases/patient-messaging.ts';
import { createTestContext, type FunctionName, type TestContext } from './harness.ts';

/** A bus that refuses the first `failures` PutEvents calls, then behaves. */
const flakyBus = (real: EventPublisher, failures: number): EventPublisher => {
  let left = failures;
  return {
    async publish(events) {
      if (left > 0) {
        left -= 1;
        throw Object.assign(new Error('bus unavailable'), { name: 'InternalException' });
      }
      return real.publish(events);
    },
  };
};

let ctx: TestContext;
/** The declared function's Deps, publishing through `bus` (one bus shared by the writer and the sweep). */
const asOnBus = (name: FunctionName, bus: EventPublisher): Deps => ({ ...ctx.as(name), events: bus });

beforeEach(async () => {
  ctx = await createTestContext();
  await ctx.enrol('dr-bus', 'pat-bus');
});

describe('events the bus refused after commit', () => {
  it('are queued and put on the bus by the next due-work sweep, ids only, once', async () => {
    const bus = flakyBus(ctx.deps.events, 1);
    const { thread, message } = await startPatientRequest(
      asOnBus('patient-start-thread', bus),
      ctx.patient('pat-bus'),
      {
        practitionerId: 'dr-bus',
        body: 'Texte médical confidentiel',
      },
    );
    expect(ctx.published).toEqual([]);

    expect(await sweepDueWork(asOnBus('due-work-sweep', bus))).toMatchObject({ claimed: 1, done: 1 });
    expect(ctx.published.map((e) => e.detailType)).toEqual(['ThreadStarted', 'MessageReceived']);
    expect(ctx.published[1]?.data).toMatchObject({ threadId: thread.id, messageId: message.id });
    expect(JSON.stringify(ctx.published)).not.toContain('confidentiel');

    expect(await sweepDueWork(asOnBus('due-work-sweep', bus))).toMatchObject({ claimed: 0 });
    expect(ctx.published).toHaveLength(2);
  });

  it('stay queued while the bus keeps failing, and go out when it recovers', async () => {
    const bus = flakyBus(ctx.deps.events, 2);
    await startPatientRequest(asOnBus('patient-start-thread', bus), ctx.patient('pat-bus'), {
      practitionerId: 'dr-bus',
      body: 'Bonjour',
    });
    expect(await sweepDueWork(asOnBus('due-work-sweep', bus))).toMatchObject({ claimed: 1, done: 0 });
    expect(ctx.published).toEqual([]);
    ctx.clock.advance(60 * 60_000);
    expect(await sweepDueWork(asOnBus('due-work-sweep', bus))).toMatchObject({ claimed: 1, done: 1 });
    expect(ctx.published.map((e) => e.detailType)).toEqual(['ThreadStarted', 'MessageReceived']);
  });
});

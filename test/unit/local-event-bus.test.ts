import { describe, expect, it } from 'vitest';
import { LocalClock } from '../../local/clock.ts';
import { type BusEvent, LocalEventBus } from '../../local/event-bus.ts';
import type { RuleDefinition } from '../../shared/function-model/triggers.ts';

const rules: RuleDefinition[] = [
  {
    name: 'booked',
    pattern: { source: ['agenda'], 'detail-type': ['AppointmentBooked'] },
    target: 'on-booked',
  },
  {
    name: 'any-agenda',
    pattern: { source: ['agenda'], 'detail-type': ['AppointmentBooked', 'AppointmentCancelled'] },
    target: 'audit',
  },
];

const entry = (overrides: Record<string, unknown> = {}) => ({
  Source: 'agenda',
  DetailType: 'AppointmentBooked',
  Detail: JSON.stringify({ appointmentId: 'a-1' }),
  EventBusName: 'patient-messaging',
  ...overrides,
});

const recordingBus = (behaviour: (target: string, attempt: number) => void = () => {}, extra = {}) => {
  const calls: Array<{ target: string; event: BusEvent; attempt: number }> = [];
  const bus = new LocalEventBus({
    busName: 'patient-messaging',
    rules,
    retryDelaysMs: [5, 10],
    invoke: async (target, event, attempt) => {
      calls.push({ target, event, attempt });
      behaviour(target, attempt);
    },
    ...extra,
  });
  return { bus, calls };
};

describe('local event bus', () => {
  it('wraps an entry in the EventBridge envelope and delivers it to every matching rule target', async () => {
    const { bus, calls } = recordingBus();
    const result = bus.putEvents([entry({ Time: 1767225600, Resources: ['r-1'] })]);
    expect(result.FailedEntryCount).toBe(0);
    const id = (result.Entries[0] as { EventId: string }).EventId;
    await bus.drain();
    expect(calls.map((c) => c.target).sort()).toEqual(['audit', 'on-booked']);
    expect(calls[0]?.event).toEqual({
      version: '0',
      id,
      'detail-type': 'AppointmentBooked',
      source: 'agenda',
      account: '000000000000',
      time: '2026-01-01T00:00:00Z',
      region: 'eu-west-3',
      resources: ['r-1'],
      detail: { appointmentId: 'a-1' },
    });
    // Each target gets its own copy.
    expect(calls[0]?.event).not.toBe(calls[1]?.event);
    expect(bus.events).toEqual([
      expect.objectContaining({
        id,
        source: 'agenda',
        detailType: 'AppointmentBooked',
        matchedRules: ['booked', 'any-agenda'],
      }),
    ]);
  });

  it('stamps an entry without Time with its clock (the local clock), an explicit Time wins', async () => {
    const clock = new LocalClock(() => Date.parse('2026-05-14T08:00:00.400Z'));
    clock.advance(25 * 3_600_000);
    const { bus, calls } = recordingBus(() => {}, { clock });
    bus.putEvents([entry(), entry({ Time: 1767225600 })]);
    await bus.drain();
    expect(bus.events.map((e) => e.time)).toEqual(['2026-05-15T09:00:00Z', '2026-01-01T00:00:00Z']);
    expect(calls.filter((c) => c.target === 'on-booked').map((c) => c.event.time)).toEqual([
      '2026-05-15T09:00:00Z',
      '2026-01-01T00:00:00Z',
    ]);
  });

  it('reports invalid entries per entry, as PutEvents does, and publishes the valid ones', () => {
    const { bus } = recordingBus();
    const result = bus.putEvents([
      entry({ Source: undefined }),
      entry({ DetailType: '' }),
      entry({ Detail: '[1,2]' }),
      entry({ Detail: '{not json' }),
      entry({ Source: 'aws.events' }),
      entry({ EventBusName: 'someone-elses-bus' }),
      entry({ Time: 'yesterday' }),
      entry(),
    ]);
    expect(result.FailedEntryCount).toBe(7);
    expect(result.Entries.map((e) => ('ErrorCode' in e ? e.ErrorCode : 'ok'))).toEqual([
      'InvalidArgument',
      'InvalidArgument',
      'MalformedDetail',
      'MalformedDetail',
      'NotAuthorizedForSourceException',
      'ResourceNotFoundException',
      'InvalidArgument',
      'ok',
    ]);
    expect(bus.events).toHaveLength(1);
  });

  it('accepts the bus ARN, and routes nothing for events put on the default bus', async () => {
    const { bus, calls } = recordingBus();
    bus.putEvents([
      entry({ EventBusName: 'arn:aws:events:eu-west-3:000000000000:event-bus/patient-messaging' }),
    ]);
    bus.putEvents([entry({ EventBusName: undefined })]);
    await bus.drain();
    expect(calls).toHaveLength(2);
    expect(bus.events.map((e) => [e.eventBusName, e.matchedRules.length])).toEqual([
      ['patient-messaging', 2],
      ['default', 0],
    ]);
  });

  it('retries a failing target with backoff and succeeds within three attempts', async () => {
    const { bus, calls } = recordingBus((target, attempt) => {
      if (target === 'on-booked' && attempt < 3) throw new Error(`flaky ${attempt}`);
    });
    bus.putEvents([entry()]);
    await bus.drain();
    expect(calls.filter((c) => c.target === 'on-booked').map((c) => c.attempt)).toEqual([1, 2, 3]);
    expect(bus.deadLetters).toEqual([]);
    expect(bus.deliveryAttempts.filter((a) => a.target === 'on-booked').map((a) => a.ok)).toEqual([
      false,
      false,
      true,
    ]);
  });

  it('sends a delivery to the dead letters after three failed attempts, without blocking other targets', async () => {
    const { bus, calls } = recordingBus((target) => {
      if (target === 'on-booked') throw new TypeError('always broken');
    });
    bus.putEvents([entry()]);
    await bus.drain();
    expect(calls.filter((c) => c.target === 'audit')).toHaveLength(1);
    expect(bus.deadLetters).toHaveLength(1);
    expect(bus.deadLetters[0]).toMatchObject({
      rule: 'booked',
      target: 'on-booked',
      attempts: 3,
      error: 'TypeError: always broken',
      event: { source: 'agenda', detail: { appointmentId: 'a-1' } },
    });
  });

  it('drain() also waits for deliveries triggered by deliveries', async () => {
    let bus: LocalEventBus | undefined;
    const seen: string[] = [];
    bus = new LocalEventBus({
      busName: 'patient-messaging',
      rules: [
        {
          name: 'first',
          pattern: { source: ['agenda'], 'detail-type': ['AppointmentBooked'] },
          target: 'first',
        },
        { name: 'second', pattern: { source: ['svc'], 'detail-type': ['Chained'] }, target: 'second' },
      ],
      invoke: async (target) => {
        await new Promise((r) => setTimeout(r, 20));
        seen.push(target);
        if (target === 'first') bus?.putEvents([entry({ Source: 'svc', DetailType: 'Chained' })]);
      },
    });
    bus.putEvents([entry()]);
    await bus.drain();
    expect(seen).toEqual(['first', 'second']);
  });

  it('can deliver every event twice, to exercise idempotent consumers', async () => {
    const { bus, calls } = recordingBus(() => {}, { duplicateDeliveries: true });
    bus.putEvents([entry()]);
    await bus.drain();
    const onBooked = calls.filter((c) => c.target === 'on-booked');
    expect(onBooked).toHaveLength(2);
    expect(onBooked[0]?.event.id).toBe(onBooked[1]?.event.id);
  });

  it('keeps a bounded log and refuses rule patterns it cannot evaluate', () => {
    const { bus } = recordingBus(() => {}, { logLimit: 3 });
    for (let i = 0; i < 5; i++) bus.putEvents([entry({ Detail: JSON.stringify({ i }) })]);
    expect(bus.events.map((e) => e.detail)).toEqual([{ i: 2 }, { i: 3 }, { i: 4 }]);
    expect(
      () =>
        new LocalEventBus({
          busName: 'b',
          rules: [{ name: 'bad', pattern: { source: [], 'detail-type': ['x'] }, target: 't' }],
          invoke: async () => {},
        }),
    ).toThrow(/Rule bad/);
  });

  it('abandons pending retries when closed', async () => {
    const { bus, calls } = recordingBus(
      () => {
        throw new Error('down');
      },
      { retryDelaysMs: [60_000] },
    );
    bus.putEvents([entry()]);
    await new Promise((r) => setTimeout(r, 20));
    await bus.close();
    await bus.drain(1000);
    expect(calls.every((c) => c.attempt === 1)).toBe(true);
    expect(bus.deadLetters).toEqual([]);
    expect(bus.putEvents([entry()]).FailedEntryCount).toBe(1);
  });
});

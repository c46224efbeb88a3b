/**
 * Delivers agenda events to the real `appointment-events` consumer (the same
 * middy handler as in Lambda: envelope parsing, zod schema, use cases) wired to
 * a test context's table and clock, under that function's IAM grants (`ctx.as`).
 */
import { randomUUID } from 'node:crypto';
import type { EventBridgeEvent } from 'aws-lambda';
import { appointmentEventHandlers } from '../../functions/appointment-events/consumers.ts';
import { declaration } from '../../functions/appointment-events/function.ts';
import { createLambdaContext } from '../../local/api-gateway.ts';
import { AGENDA_SOURCE } from '../../shared/config.ts';
import { eventConsumer } from '../../shared/events-consumer.ts';
import type { TestContext } from './harness.ts';

export const agenda = (ctx: TestContext) => {
  // The function's own Deps, under its IAM grants (the consumer adds the audit context per delivery).
  const consumer = eventConsumer(declaration, appointmentEventHandlers, {
    deps: () => ctx.as('appointment-events'),
  });
  /** One delivery; `time` is the EventBridge time (defaults to the test clock). */
  const deliver = (
    detailType: string,
    detail: Record<string, unknown>,
    options: { id?: string; time?: string } = {},
  ) =>
    consumer(
      {
        version: '0',
        id: options.id ?? randomUUID(),
        'detail-type': detailType,
        source: AGENDA_SOURCE,
        account: '000000000000',
        time:
          options.time ??
          ctx.clock
            .now()
            .toISOString()
            .replace(/\.\d{3}Z$/, 'Z'),
        region: 'eu-west-3',
        resources: [],
        detail,
      } as EventBridgeEvent<string, unknown>,
      createLambdaContext('appointment-events', randomUUID(), 30_000),
    );

  const booked = (
    practitionerId: string,
    appointmentId: string,
    patientId: string,
    overrides: {
      startsAt?: string;
      motive?: string | null;
      firstName?: string;
      lastName?: string;
      email?: string | null;
    } = {},
  ) => ({
    appointmentId,
    practitionerId,
    patientId,
    startsAt: overrides.startsAt ?? '2024-05-14T12:30:00.000Z',
    motive: overrides.motive === undefined ? 'Suivi' : overrides.motive,
    patient: {
      firstName: overrides.firstName ?? 'Camille',
      lastName: overrides.lastName ?? 'Durand',
      email: overrides.email === undefined ? 'camille@example.org' : overrides.email,
    },
  });
  const cancelled = (
    practitionerId: string,
    appointmentId: string,
    patientId: string,
    cancelledAt?: string,
  ) => ({
    appointmentId,
    practitionerId,
    patientId,
    cancelledAt: cancelledAt ?? ctx.clock.now().toISOString(),
  });
  const completed = (
    practitionerId: string,
    appointmentId: string,
    patientId: string,
    completedAt?: string,
  ) => ({
    appointmentId,
    practitionerId,
    patientId,
    completedAt: completedAt ?? ctx.clock.now().toISOString(),
  });
  return { deliver, booked, cancelled, completed };
};

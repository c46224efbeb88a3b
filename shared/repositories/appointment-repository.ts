import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '../db/client.ts';
import { keys } from '../db/keys.ts';
import { isConditionalCheckFailed } from '../db/transactions.ts';
import type { Appointment, AppointmentStatus } from '../domain/appointments.ts';
import { expiresAtAfter, RETENTION } from '../domain/retention.ts';
import type { TransactItem } from './thread-repository.ts';

const ENTITY = 'Appointment';
const SCHEMA_VERSION = 1;

const fromItem = (item: Record<string, unknown>): Appointment => ({
  appointmentId: item.appointmentId as string,
  practitionerId: item.practitionerId as string,
  patientId: item.patientId as string,
  startsAt: (item.startsAt as string | undefined) ?? null,
  motive: (item.motive as string | null | undefined) ?? null,
  status: item.status as AppointmentStatus,
  bookedEventAt: (item.bookedEventAt as string | undefined) ?? null,
  completedAt: (item.completedAt as string | undefined) ?? null,
  cancelledAt: (item.cancelledAt as string | undefined) ?? null,
  createdAt: item.createdAt as string,
  updatedAt: item.updatedAt as string,
});

/**
 * Attributes every event sets when it is the first to mention the appointment,
 * and its expiry, moved on by every event applied (RETENTION.appointmentMs).
 */
const IDENTITY_SET =
  'entity = :entity, schemaVersion = :schemaVersion, appointmentId = :appointmentId, practitionerId = :practitionerId, patientId = if_not_exists(patientId, :patientId), createdAt = if_not_exists(createdAt, :now), updatedAt = :now, expiresAt = :expiresAt';

interface AppointmentRef {
  practitionerId: string;
  appointmentId: string;
  patientId: string;
}

/** `times`: the event's own times (the start, the cancellation…), kept at least that long after the latest. */
const identityValues = (ref: AppointmentRef, now: string, ...times: string[]) => ({
  ':entity': ENTITY,
  ':schemaVersion': SCHEMA_VERSION,
  ':appointmentId': ref.appointmentId,
  ':practitionerId': ref.practitionerId,
  ':patientId': ref.patientId,
  ':now': now,
  ':expiresAt': expiresAtAfter(RETENTION.appointmentMs, now, ...times),
});

/**
 * One item per appointment under the practitioner's partition. Every event is a
 * single conditional UpdateItem, so duplicates are no-ops and the status only
 * moves forward (booked → completed → cancelled) whatever the delivery order.
 */
export const createAppointmentRepository = (db: Db) => ({
  async get(practitionerId: string, appointmentId: string): Promise<Appointment | null> {
    const { Item } = await db.client.send(
      new GetCommand({
        TableName: db.tableName,
        Key: keys.appointment(practitionerId, appointmentId),
        ConsistentRead: true,
      }),
    );
    return Item ? fromItem(Item) : null;
  },

  /**
   * Booking details from AppointmentBooked (also a move). An older event than
   * the one applied (by EventBridge time) changes nothing; the status is only
   * set when none exists, so a cancel or completion seen first stays.
   */
  async recordBooked(
    ref: AppointmentRef & { startsAt: string; motive: string | null; eventAt: string },
    now: string,
  ): Promise<{ applied: boolean }> {
    try {
      await db.client.send(
        new UpdateCommand({
          TableName: db.tableName,
          Key: keys.appointment(ref.practitionerId, ref.appointmentId),
          UpdateExpression: `SET ${IDENTITY_SET}, startsAt = :startsAt, motive = :motive, bookedEventAt = :eventAt, #status = if_not_exists(#status, :booked)`,
          ConditionExpression: 'attribute_not_exists(bookedEventAt) OR bookedEventAt <= :eventAt',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ...identityValues(ref, now, ref.startsAt),
            ':startsAt': ref.startsAt,
            ':motive': ref.motive,
            ':eventAt': ref.eventAt,
            ':booked': 'booked',
          },
        }),
      );
      return { applied: true };
    } catch (error) {
      if (isConditionalCheckFailed(error)) return { applied: false };
      throw error;
    }
  },

  /** Cancelled is terminal; a second cancel changes nothing. */
  async recordCancelled(
    ref: AppointmentRef & { cancelledAt: string },
    now: string,
  ): Promise<{ applied: boolean }> {
    try {
      await db.client.send(
        new UpdateCommand({
          TableName: db.tableName,
          Key: keys.appointment(ref.practitionerId, ref.appointmentId),
          UpdateExpression: `SET ${IDENTITY_SET}, #status = :cancelled, cancelledAt = :cancelledAt`,
          ConditionExpression: 'attribute_not_exists(#status) OR #status <> :cancelled',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ...identityValues(ref, now, ref.cancelledAt),
            ':cancelled': 'cancelled',
            ':cancelledAt': ref.cancelledAt,
          },
        }),
      );
      return { applied: true };
    } catch (error) {
      if (isConditionalCheckFailed(error)) return { applied: false };
      throw error;
    }
  },

  /**
   * Completion only from `booked` (or before any other event). Answers the
   * appointment as stored afterwards: `completed` (now or by an earlier
   * delivery) or `cancelled` (a cancel won, nothing to trigger).
   */
  async recordCompleted(
    ref: AppointmentRef & { completedAt: string },
    now: string,
  ): Promise<{ applied: boolean; appointment: Appointment }> {
    try {
      const { Attributes } = await db.client.send(
        new UpdateCommand({
          TableName: db.tableName,
          Key: keys.appointment(ref.practitionerId, ref.appointmentId),
          UpdateExpression: `SET ${IDENTITY_SET}, #status = :completed, completedAt = :completedAt`,
          ConditionExpression: 'attribute_not_exists(#status) OR #status = :booked',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ...identityValues(ref, now, ref.completedAt),
            ':completed': 'completed',
            ':booked': 'booked',
            ':completedAt': ref.completedAt,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { applied: true, appointment: fromItem(Attributes ?? {}) };
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      const current = await this.get(ref.practitionerId, ref.appointmentId);
      if (!current) throw error;
      return { applied: false, appointment: current };
    }
  },

  /** For a send transaction: the appointment must still be completed (not cancelled meanwhile). */
  stillCompletedCheck(practitionerId: string, appointmentId: string): TransactItem {
    return {
      ConditionCheck: {
        TableName: db.tableName,
        Key: keys.appointment(practitionerId, appointmentId),
        ConditionExpression: '#status = :completed',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':completed': 'completed' },
      },
    };
  },
});

export type AppointmentRepository = ReturnType<typeof createAppointmentRepository>;

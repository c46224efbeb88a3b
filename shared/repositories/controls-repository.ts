/**
 * The practitioner controls a patient's write is decided on — the practitioner's
 * settings and the patient's record with them — read together in ONE
 * BatchGetItem (strongly consistent), and the ConditionChecks that put a
 * decision into the write's transaction.
 *
 * Two kinds of checks:
 * - `versionGuards`: the items are still at the versions the rules read (any
 *   change to them since fails the write, which then re-reads and re-decides);
 * - `unrestrictedGuards`: the items are in the state in which the rules for
 *   writing in an open thread (shared/domain/messaging-rules.ts, WRITE_RULES:
 *   `blocked`, `closed`) cannot refuse — not blocked, messaging open. They let a
 *   patient's message in a thread be decided without reading the controls first
 *   (the common case: one round-trip less); when they fail, the write reads the
 *   controls and decides with the rules (a closure whose reopening date has
 *   passed is open, a block is refused with its text).
 */

import { batchGet, batchGetId } from '../db/batch-get.ts';
import type { Db } from '../db/client.ts';
import { keys } from '../db/keys.ts';
import { OptimisticConflict } from '../db/transactions.ts';
import type { PractitionerSettings } from '../domain/settings.ts';
import { type PatientStandingSnapshot, standingOf } from './patient-repository.ts';
import { settingsOf } from './settings-repository.ts';
import type { ExtraTransactItem } from './thread-repository.ts';

/** What a decision was made on, with the versions the write is then conditioned on. */
export interface ControlsSnapshot {
  practitionerId: string;
  patientId: string;
  settings: PractitionerSettings;
  settingsVersion: number | null;
  standing: PatientStandingSnapshot;
}

/** The controls changed under a write decided without reading them (`unrestrictedGuards`). */
export class ControlsRestricted extends Error {
  override readonly name = 'ControlsRestricted';
}

export const createControlsRepository = (db: Db) => ({
  /** Settings and record in one strongly consistent BatchGetItem. */
  async read(practitionerId: string, patientId: string): Promise<ControlsSnapshot> {
    const settingsKey = keys.practitionerSettings(practitionerId);
    const recordKey = keys.patientRecord(practitionerId, patientId);
    const found = await batchGet(db, [settingsKey, recordKey], { consistent: true });
    const { settings, version } = settingsOf(found.get(batchGetId(settingsKey)));
    return {
      practitionerId,
      patientId,
      settings,
      settingsVersion: version,
      standing: standingOf(found.get(batchGetId(recordKey))),
    };
  },

  /**
   * One patient's controls with several practitioners (their thread list): the
   * settings and the records in one BatchGetItem per 50 practitioners, eventually
   * consistent (a list shows canReply; the write decides again).
   */
  async readMany(
    patientId: string,
    practitionerIds: readonly string[],
  ): Promise<Map<string, ControlsSnapshot>> {
    const unique = [...new Set(practitionerIds)];
    const found = await batchGet(
      db,
      unique.flatMap((id) => [keys.practitionerSettings(id), keys.patientRecord(id, patientId)]),
    );
    return new Map(
      unique.map((practitionerId) => {
        const { settings, version } = settingsOf(
          found.get(batchGetId(keys.practitionerSettings(practitionerId))),
        );
        const record = found.get(batchGetId(keys.patientRecord(practitionerId, patientId)));
        return [
          practitionerId,
          { practitionerId, patientId, settings, settingsVersion: version, standing: standingOf(record) },
        ];
      }),
    );
  },

  /**
   * ConditionChecks that the record and the settings are still at the versions
   * the rules read. A block, a closing or a treated stamp committed in between
   * fails the transaction, and the retry re-reads and re-decides.
   */
  versionGuards(snapshot: ControlsSnapshot): ExtraTransactItem[] {
    const { practitionerId, patientId, settingsVersion } = snapshot;
    const recordVersion = snapshot.standing.version;
    return [
      {
        item: {
          ConditionCheck: {
            TableName: db.tableName,
            Key: keys.patientRecord(practitionerId, patientId),
            ConditionExpression:
              recordVersion === null
                ? 'attribute_not_exists(#version)'
                : 'attribute_exists(pk) AND #version = :version',
            ExpressionAttributeNames: { '#version': 'controlsVersion' },
            ...(recordVersion !== null && { ExpressionAttributeValues: { ':version': recordVersion } }),
          },
        },
        onConditionFailed: () => new OptimisticConflict(),
      },
      {
        item: {
          ConditionCheck: {
            TableName: db.tableName,
            Key: keys.practitionerSettings(practitionerId),
            ConditionExpression:
              settingsVersion === null ? 'attribute_not_exists(#version)' : '#version = :version',
            ExpressionAttributeNames: { '#version': 'controlsVersion' },
            ...(settingsVersion !== null && { ExpressionAttributeValues: { ':version': settingsVersion } }),
          },
        },
        onConditionFailed: () => new OptimisticConflict(),
      },
    ];
  },

  /**
   * ConditionChecks that nothing the write-in-thread rules read can refuse: the
   * patient is not blocked (`blocked` rule; no record is not blocked either) and
   * the messaging is open (`closed` rule; no settings item means the defaults,
   * open). Sufficient, not necessary: a failure means "read and decide".
   */
  unrestrictedGuards(practitionerId: string, patientId: string): ExtraTransactItem[] {
    return [
      {
        item: {
          ConditionCheck: {
            TableName: db.tableName,
            Key: keys.patientRecord(practitionerId, patientId),
            ConditionExpression: 'attribute_not_exists(#blocked) OR #blocked = :false',
            ExpressionAttributeNames: { '#blocked': 'blocked' },
            ExpressionAttributeValues: { ':false': false },
          },
        },
        onConditionFailed: () => new ControlsRestricted(),
      },
      {
        item: {
          ConditionCheck: {
            TableName: db.tableName,
            Key: keys.practitionerSettings(practitionerId),
            ConditionExpression: 'attribute_not_exists(#open) OR #open = :true',
            ExpressionAttributeNames: { '#open': 'inboxOpen' },
            ExpressionAttributeValues: { ':true': true },
          },
        },
        onConditionFailed: () => new ControlsRestricted(),
      },
    ];
  },
});

export type ControlsRepository = ReturnType<typeof createControlsRepository>;

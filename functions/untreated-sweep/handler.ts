import { scheduledJob } from '../../shared/events-consumer.ts';
import { logger } from '../../shared/runtime/logger.ts';
import { statsRepository } from '../../shared/runtime/optional-repositories.ts';
import { sesMailerAdapter } from '../../shared/runtime/ses-mailer.ts';
import { runNotificationSweep, sweepFailures } from '../../shared/use-cases/notifications.ts';
import { declaration } from './function.ts';

export class SweepIncomplete extends Error {
  constructor(failures: number) {
    super(`${failures} notification(s) could not be sent; their claims were released for the next run`);
    this.name = 'SweepIncomplete';
  }
}

/**
 * The scheduled untreated sweep (SCHEDULES `untreated-sweep`). A run with failed
 * sends still processes everyone, then throws: the function's error alarm fires
 * and EventBridge retries the run, which only re-sends what is still unsent.
 */
export const handler = scheduledJob(
  declaration,
  async (_event, deps) => {
    const report = await runNotificationSweep(deps);
    const failures = sweepFailures(report);
    if (failures > 0) {
      logger.error('Untreated sweep incomplete', { summary: { ...report } });
      throw new SweepIncomplete(failures);
    }
    return report;
  },
  // The digest's week line reads the time-to-treat statistics.
  { mailer: sesMailerAdapter, repositories: statsRepository },
);

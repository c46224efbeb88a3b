/**
 * EventBridge rules: which consumer function receives which events. The CDK stack
 * deploys these patterns and the local bus matches with the same ones.
 * Consumer handlers live in functions/<target>/handler.ts.
 */
export interface EventPattern {
  source: string[];
  'detail-type': string[];
}

export interface RuleDefinition {
  name: string;
  pattern: EventPattern;
  target: string;
}

export const RULES: RuleDefinition[] = [];

/** Scheduled rules (cron/rate in production, a timer in the local stack). */
export interface ScheduleDefinition {
  name: string;
  /** Minutes between runs in production. */
  everyMinutes: number;
  target: string;
}

export const SCHEDULES: ScheduleDefinition[] = [];

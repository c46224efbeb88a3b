import { EVENT_SOURCE } from '../shared/config.ts';
import type { EventDefinition } from './define.ts';
import * as events from './index.ts';

/** Every event this service publishes, by detail-type (the agenda's and AWS's events are consumed, not published). */
export const PUBLISHED_EVENTS: ReadonlyMap<string, EventDefinition> = new Map(
  Object.values(events as Record<string, EventDefinition>)
    .filter((definition) => definition.source === EVENT_SOURCE)
    .map((definition) => [definition.detailType, definition]),
);

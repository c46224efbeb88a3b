/**
 * Inputs of the practice-team routes (SPEC 11.2), apart from practitioner-schemas.ts
 * so that the hot routes never bundle them.
 */
import { DELEGATION_SCOPES } from '../function-model/declaration.ts';
import * as z from '../validation.ts';
import { idSchema } from './schemas.ts';

export const assistantIdParams = z.strictObject({ assistantId: idSchema });

/** PUT /v1/practitioner/delegates/{assistantId}: the whole grant (a PUT replaces it). */
export const delegateSchema = z.strictObject({
  displayName: z.string().check(z.trim(), z.minLength(1), z.maxLength(100)),
  /** At least one, each once. */
  scopes: z.array(z.enum(DELEGATION_SCOPES)).check(
    z.minLength(1),
    z.maxLength(DELEGATION_SCOPES.length),
    z.refine((scopes) => new Set(scopes).size === scopes.length, 'Each scope at most once'),
  ),
  /**
   * The delegate also gets the practitioner's inbox emails (digest, instant summary).
   * Omitted: the current value stays (false for a new grant), so changing scopes never
   * undoes the assistant's own choice (PUT /v1/assistant/practitioners/{id}/notifications).
   */
  notify: z.optional(z.boolean()),
});

/** PUT /v1/assistant/practitioners/{practitionerId}/notifications: the assistant's own choice. */
export const practitionerIdParams = z.strictObject({ practitionerId: idSchema });
export const delegateNotificationsSchema = z.strictObject({ notify: z.boolean() });

/** PUT /v1/practitioner/threads/{threadId}/assignee: the practitioner, one of their delegates, or nobody. */
export const assigneeSchema = z.strictObject({ assigneeId: z.nullable(idSchema) });

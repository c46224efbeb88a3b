import { httpFunction } from '../../shared/function-model/declaration.ts';
import { assistantIdParams, delegateSchema } from '../../shared/http/team-schemas.ts';

/** Practitioner only (no `scope`): an assistant can never widen their own grant. */
export const declaration = httpFunction({
  name: 'practitioner-put-delegate',
  summary: 'Delegate scopes of the practice to an assistant (by their account id), or change them',
  method: 'PUT',
  path: '/v1/practitioner/delegates/{assistantId}',
  role: 'practitioner',
  params: assistantIdParams,
  body: delegateSchema,
  responses: { 200: 'delegate', 201: 'delegate' },
  auditAs: 'delegate.saved',
  limitedBy: ['delegatesPerPractitioner'],
  access: {
    table: {
      read: ['delegateGrant'],
      write: ['assistantGrant', 'delegateGrant', 'practitionerQuota'],
      appendsAudit: true,
    },
  },
});

import { httpFunction } from '../../shared/function-model/declaration.ts';
import { assistantIdParams } from '../../shared/http/team-schemas.ts';

/** Practitioner only (no `scope`). Effective on the assistant's next request (the check reads consistently). */
export const declaration = httpFunction({
  name: 'practitioner-delete-delegate',
  summary: 'Revoke a delegation: the assistant’s next request on the practitioner’s behalf is refused',
  method: 'DELETE',
  path: '/v1/practitioner/delegates/{assistantId}',
  role: 'practitioner',
  params: assistantIdParams,
  responses: { 204: null },
  auditAs: 'delegate.removed',
  access: {
    table: { write: ['assistantGrant', 'delegateGrant', 'practitionerQuota'], appendsAudit: true },
  },
});

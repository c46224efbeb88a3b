import { httpFunction } from '../../shared/function-model/declaration.ts';
import { practitionerIdParams } from '../../shared/http/patient-schemas.ts';

export const declaration = httpFunction({
  name: 'patient-messaging-access',
  summary: 'May I start a request with this practitioner?',
  method: 'GET',
  path: '/v1/patient/practitioners/{practitionerId}/messaging',
  role: 'patient',
  params: practitionerIdParams,
  responses: { 200: 'messagingAccess' },
  access: {
    table: { read: ['patientRecord', 'settings'] },
  },
});

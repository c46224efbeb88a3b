/**
 * Test support, re-exported:
 *   createTestTable / dynamoDbEndpoint   (./dynamodb.ts)   a fresh table on the shared DynamoDB Local
 *   startTestApi                         (./local-api.ts)  the local stack in-process on random ports
 *   createApiClient                      (./http-client.ts) api.as(token).post(path, body) → { status, body }
 *   tokenFor / testAuth / testSigningKey (./auth.ts)       tokens the test API accepts
 *   bookedByAgenda                       (./agenda.ts)     an AppointmentBooked: a verified patient address
 *   emailsTo / settledEmailsTo / useLocalSes / expectContentFree   (./mail.ts)   the local SES inbox
 */
export { bookedByAgenda } from './agenda.ts';
export { TEST_AUDIENCE, TEST_AUDIENCES, TEST_ISSUER, testAuth, testSigningKey, tokenFor } from './auth.ts';
export { createTestTable, dynamoDbEndpoint, type TestTable } from './dynamodb.ts';
export { type ApiClient, type ApiResponse, createApiClient } from './http-client.ts';
export {
  type ClockAnswer,
  startTestApi,
  type TestApi,
  type TestApiOptions,
  type TestClock,
} from './local-api.ts';
export {
  emailContent,
  emailsTo,
  expectContentFree,
  settledEmailsTo,
  TEST_FROM_ADDRESS,
  useLocalSes,
} from './mail.ts';

/**
 * Recomputes one practitioner's or patient's counters now, from the thread
 * indexes (shared/use-cases/counters.ts), and prints before / after.
 *
 *   npm run reconcile -- practitioner <practitionerId>
 *   npm run reconcile -- patient <patientId>
 *
 * Against the table named by TABLE_NAME (default: the local stack's), at
 * DYNAMODB_ENDPOINT when set (the local stack's DynamoDB Local), else the AWS
 * account of the shell's credentials. Safe while the service runs: the write only
 * lands if no change touched the counters meanwhile (else run it again).
 */
import { createDocumentClient } from '../shared/db/client.ts';
import { buildDeps } from '../shared/runtime/deps.ts';
import { reconcileCounters } from '../shared/use-cases/counters.ts';

const [subject, id] = process.argv.slice(2);
if ((subject !== 'practitioner' && subject !== 'patient') || !id) {
  process.stderr.write('usage: npm run reconcile -- practitioner|patient <id>\n');
  process.exit(2);
}
const endpoint = process.env.DYNAMODB_ENDPOINT;
const deps = buildDeps({
  db: {
    client: createDocumentClient({
      ...(endpoint && { endpoint }),
      region: process.env.AWS_REGION ?? 'eu-west-3',
    }),
    tableName: process.env.TABLE_NAME ?? 'patient-messaging-local',
  },
  appBaseUrl: 'https://unused.invalid',
});
const result = await reconcileCounters(deps, subject, id);
process.stdout.write(`${JSON.stringify({ subject, id, ...result }, null, 2)}\n`);

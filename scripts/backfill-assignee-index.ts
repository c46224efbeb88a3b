/**
 * Gives the open threads written before gsi7 existed their triage entry (docs/runbook.md,
 * "Backfill the assignee index"; scripts/assignee-index-backfill.ts does the work).
 *
 *   npm run backfill:assignee-index -- --stage prod --dry-run
 *   npm run backfill:assignee-index -- --stage prod [--practitioner <id>]
 *   npm run backfill:assignee-index -- --local
 *
 * --stage: the table TABLE_NAME (default `patient-messaging-<stage>`) in AWS_REGION (default
 * eu-west-3), with the shell's credentials. --local: `npm start`'s DynamoDB Local
 * (DYNAMODB_ENDPOINT, else port DYNAMODB_PORT, default 8000; TABLE_NAME). Safe while the
 * service runs and to run again: prints one JSON line of counts, never an item's content.
 */
import { parseArgs } from 'node:util';
import { LOCAL_REGION } from '../local/constants.ts';
import { createDocumentClient } from '../shared/db/client.ts';
import { backfillAssigneeIndex } from './assignee-index-backfill.ts';

const usage = (problem: string): never => {
  process.stderr.write(
    `${problem}\nusage: npm run backfill:assignee-index -- (--stage <dev|prod> | --local) [--dry-run] [--practitioner <id>]\n`,
  );
  return process.exit(2);
};

const { values } = parseArgs({
  options: {
    stage: { type: 'string' },
    local: { type: 'boolean', default: false },
    'dry-run': { type: 'boolean', default: false },
    practitioner: { type: 'string' },
  },
});
if (values.local === (values.stage !== undefined)) usage('Give either --stage <dev|prod> or --local');
if (values.stage !== undefined && values.stage !== 'dev' && values.stage !== 'prod') {
  usage(`--stage must be dev or prod, not "${values.stage}"`);
}
if (values.practitioner === '') usage('--practitioner needs an id');

const target = async () => {
  if (values.local) {
    return {
      region: LOCAL_REGION,
      tableName: process.env.TABLE_NAME || 'patient-messaging-local',
      endpoint: process.env.DYNAMODB_ENDPOINT || `http://127.0.0.1:${process.env.DYNAMODB_PORT || 8000}`,
    };
  }
  // Loaded here only: infra/config.ts brings the CDK library, which --local does not need.
  const { DEFAULT_REGION, SERVICE_NAME } = await import('../infra/config.ts');
  return {
    region: process.env.AWS_REGION || DEFAULT_REGION,
    tableName: process.env.TABLE_NAME || `${SERVICE_NAME}-${values.stage}`,
  };
};

const { region, tableName, endpoint } = await target();
const counts = await backfillAssigneeIndex(
  { client: createDocumentClient({ region, ...(endpoint && { endpoint }) }), tableName },
  { dryRun: values['dry-run'], ...(values.practitioner && { practitionerId: values.practitioner }) },
);
process.stdout.write(
  `${JSON.stringify({
    target: values.local ? 'local' : values.stage,
    ...(values.practitioner && { practitioner: values.practitioner }),
    dryRun: values['dry-run'],
    ...counts,
  })}\n`,
);

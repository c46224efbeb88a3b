#!/usr/bin/env node
// CDK entry point (cdk.json: `npx tsx infra/app.ts`). `npx cdk synth -c stage=prod` for production.
import { App } from 'aws-cdk-lib';
import { addNagChecks } from './nag.ts';
import { createPatientMessaging } from './patient-messaging-app.ts';

const app = new App();
createPatientMessaging(app);
// AwsSolutions, HIPAA.Security and Serverless: any unacknowledged error fails the synth.
addNagChecks(app);
app.synth();

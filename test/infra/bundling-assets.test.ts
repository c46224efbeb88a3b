/**
 * Each function deploys its own bundle. CDK caches a bundle by the asset's source
 * and bundling options; our bundler is a local function CDK cannot see into, so
 * the options must name the function — this synthesizes two functions WITH
 * bundling (esbuild runs: slow) and checks their code differs.
 */
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Key } from 'aws-cdk-lib/aws-kms';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { expect, it } from 'vitest';
import { ServiceFunction } from '../../infra/constructs/service-function.ts';

it('two functions get two different bundles', () => {
  const app = new App({ outdir: `.tmp-it/bundling-assets-${process.pid}` });
  const stack = new Stack(app, 'Bundles');
  const key = new Key(stack, 'Key');
  for (const name of ['patient-summary', 'practitioner-summary']) {
    new ServiceFunction(stack, name, {
      name,
      kind: 'api',
      environment: {},
      logLevel: 'INFO',
      logRetention: RetentionDays.ONE_WEEK,
      logRemovalPolicy: RemovalPolicy.DESTROY,
      logEncryptionKey: key,
    });
  }
  const functions = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'));
  const codeKeys = functions.map((f) => JSON.stringify(f.Properties.Code.S3Key));
  expect(codeKeys).toHaveLength(2);
  expect(new Set(codeKeys).size).toBe(2);
}, 180_000);

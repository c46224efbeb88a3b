import { type App, type Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, type NagPack, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/** The rule packs every synth runs: AWS Solutions, HIPAA Security and Serverless. */
export const nagPacks = (scope?: IConstruct): NagPack[] => [
  new AwsSolutionsChecks(scope),
  new HIPAASecurityChecks(scope),
  new ServerlessChecks(scope),
];

/** cdk-nag 3: packs are CDK policy-validation plugins; unacknowledged errors fail `cdk synth`. */
export const addNagChecks = (app: App): void => {
  Validations.of(app).addPlugins(...nagPacks(app));
};

/**
 * Acknowledge findings on one construct (and its children) with one reason. cdk-nag 3 matches ids
 * exactly: a rule that reports several findings (IAM4, IAM5) needs each `Rule[Finding]` id.
 */
export const acknowledge = (scope: IConstruct, reason: string, ...ids: string[]): void => {
  for (const id of ids) Validations.of(scope).acknowledge({ id, reason });
};

/** Rule ids used by more than one construct, so a typo cannot silently miss. */
export const NAG = {
  lambdaLatestRuntime: ['AwsSolutions-L1', 'Serverless-LambdaLatestVersion'],
  lambdaInVpc: ['HIPAA.Security-LambdaInsideVPC'],
  lambdaConcurrency: ['HIPAA.Security-LambdaConcurrency'],
  lambdaDlq: ['HIPAA.Security-LambdaDLQ', 'Serverless-LambdaDLQ'],
  inlinePolicy: ['HIPAA.Security-IAMNoInlinePolicy'],
  sqsIsDlq: ['Serverless-SQSRedrivePolicy'],
} as const;

/**
 * The `AwsSolutions-IAM5[Resource::…]` id that cdk-nag reports for a resource ARN of this stack: the ARN
 * resolved to CloudFormation and flattened the way cdk-nag does (Ref → <Id>, GetAtt → <Id.Attr>, Join → text).
 * Only for ARNs built from this stack's own tokens (a cross-stack import is only known after synthesis).
 */
export const nagResourceFinding = (stack: Stack, arn: string): string =>
  `AwsSolutions-IAM5[Resource::${flattenCfn(stack.resolve(arn))}]`;

const flattenCfn = (node: unknown): string => {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (typeof node === 'object' && node !== null) {
    const fn = node as Record<string, unknown>;
    if (Array.isArray(fn['Fn::Join'])) {
      const [delimiter, items] = fn['Fn::Join'] as [string, unknown[]];
      return items.map(flattenCfn).join(delimiter);
    }
    if (fn['Fn::Sub'] !== undefined) return flattenCfn(fn['Fn::Sub']);
    if (Array.isArray(fn['Fn::GetAtt'])) {
      const [resource, attribute] = fn['Fn::GetAtt'] as [unknown, unknown];
      return `<${flattenCfn(resource)}.${flattenCfn(attribute)}>`;
    }
    if (fn['Fn::ImportValue'] !== undefined) return flattenCfn(fn['Fn::ImportValue']);
    if (fn.Ref !== undefined) return `<${flattenCfn(fn.Ref)}>`;
  }
  return JSON.stringify(node);
};

import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { AssetHashType, DockerImage, Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import {
  ApplicationLogLevel,
  Architecture,
  Code,
  LoggingFormat,
  Runtime,
  SystemLogLevel,
  Tracing,
} from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, type NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledge, NAG } from '../nag.ts';
import { handlerEntry, handlerExists, REPO_ROOT } from '../paths.ts';

/** `api`: invoked synchronously by the HTTP API. `consumer`: invoked asynchronously by EventBridge. */
export type FunctionKind = 'api' | 'consumer';

export interface ServiceFunctionProps {
  /** Folder under functions/: the handler is functions/<name>/handler.ts, exporting `handler`. */
  readonly name: string;
  /**
   * Physical Lambda name, a synth-time literal: other stacks (monitoring) refer to the function by it
   * without a CloudFormation export. Default: a name CloudFormation generates.
   */
  readonly functionName?: string;
  readonly kind: FunctionKind;
  readonly environment: Readonly<Record<string, string>>;
  readonly logLevel: 'DEBUG' | 'INFO' | 'WARN';
  readonly logRetention: RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
  /** CMK for the function's log group (its key policy must allow the CloudWatch Logs service). */
  readonly logEncryptionKey: IKey;
  /** Consumers only: where Lambda puts an event after its asynchronous retries are exhausted. */
  readonly deadLetterQueue?: IQueue;
}

/**
 * The one way this codebase builds a Lambda: Node.js 22 on ARM64, X-Ray tracing, an explicit encrypted
 * log group with retention, a dedicated role (no AWS managed policy: it may only write to its own log
 * group), and an ESM bundle that tree-shakes the AWS SDK v3 instead of loading the runtime's copy.
 */
export class ServiceFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;
  readonly kind: FunctionKind;
  /** The physical name given in the props (a literal, safe to use from another stack), if any. */
  readonly functionName: string | undefined;

  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    super(scope, id);
    this.kind = props.kind;
    this.functionName = props.functionName;

    this.logGroup = new LogGroup(this, 'LogGroup', {
      retention: props.logRetention,
      encryptionKey: props.logEncryptionKey,
      removalPolicy: props.logRemovalPolicy,
    });

    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `patient-messaging ${props.name} (${props.kind})`,
    });
    // Replaces AWSLambdaBasicExecutionRole (logs:* on every log group) with its own log group only.
    this.logGroup.grantWrite(this.role);

    this.function = new NodejsFunction(this, 'Function', {
      ...(props.functionName && { functionName: props.functionName }),
      description: `patient-messaging ${props.name}`,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: 512,
      timeout: props.kind === 'api' ? Duration.seconds(10) : Duration.seconds(30),
      tracing: Tracing.ACTIVE,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: ApplicationLogLevel[props.logLevel],
      systemLogLevelV2: SystemLogLevel.INFO,
      deadLetterQueue: props.deadLetterQueue,
      environment: {
        ...props.environment,
        POWERTOOLS_LOG_LEVEL: props.logLevel,
        NODE_OPTIONS: '--enable-source-maps',
      },
      ...this.code(props.name),
    });

    acknowledge(
      this.function,
      'Runtime is pinned to nodejs22.x on purpose (team standard, CONVENTIONS.md; an AWS-supported LTS). ' +
        'Moving to a newer runtime is a tested upgrade, not something a synth rule should trigger.',
      ...NAG.lambdaLatestRuntime,
    );
    acknowledge(
      this.function,
      'The function only calls AWS regional endpoints (DynamoDB, EventBridge, SES, X-Ray, CloudWatch) over TLS ' +
        'with IAM auth; the service has no VPC resources, so a VPC would add NAT/endpoint cost without reducing exposure.',
      ...NAG.lambdaInVpc,
    );
    acknowledge(
      this.function,
      props.kind === 'api'
        ? 'Concurrency is bounded upstream by the HTTP API stage throttling (rate/burst); reserving concurrency per ' +
            'function would carve the account pool into many small fixed slices and throttle legitimate bursts.'
        : 'Invoked asynchronously by EventBridge: throttled invocations are retried by Lambda and EventBridge, then ' +
            'land in the dead-letter queue, so no event is lost; a reservation would only carve up the account pool.',
      ...NAG.lambdaConcurrency,
    );
    if (props.kind === 'api') {
      acknowledge(
        this.function,
        'Invoked synchronously by API Gateway: the caller receives the error, a Lambda DLQ only applies to ' +
          'asynchronous invocations and would never receive anything.',
        ...NAG.lambdaDlq,
      );
    }
    // The role's DefaultPolicy is created by the grants the stack adds later; its findings are acknowledged
    // on the role (cdk-nag walks up from the policy to its ancestors).
    acknowledge(
      this.role,
      'Inline policy generated by CDK grants for this function only and attached to its dedicated role: a 1:1 ' +
        'relationship, the case AWS recommends inline policies for; a managed policy would add nothing.',
      ...NAG.inlinePolicy,
    );
    acknowledge(
      this.role,
      'X-Ray PutTraceSegments/PutTelemetryRecords (added by tracing: ACTIVE) do not support resource-level ' +
        'permissions; the infra tests assert that X-Ray is the only statement with Resource "*".',
      'AwsSolutions-IAM5[Resource::*]',
    );
  }

  /** Bundled code, or a placeholder when this stack's bundling is skipped and the handler is not written yet. */
  private code(name: string): Pick<NodejsFunctionProps, 'code' | 'handler'> {
    if (!handlerExists(name)) {
      if (Stack.of(this).bundlingRequired) {
        throw new Error(`Missing Lambda handler ${handlerEntry(name)} for function "${name}"`);
      }
      // Only reachable when `aws:cdk:bundling-stacks` excludes this stack (infra tests, or a deploy of
      // another stack): such a template is never deployed.
      return { code: Code.fromInline('throw new Error("not bundled");'), handler: 'index.handler' };
    }
    // The deployed build is the one the bundle test and the bench measure (infra/bundling.ts, ADR 0006),
    // through esbuild's API: its command line, which NodejsFunction drives, takes no plugin. Same asset
    // as NodejsFunction's (the project root, hashed on the output), built on this machine, never in Docker.
    return {
      handler: 'index.handler',
      code: Code.fromAsset(REPO_ROOT, {
        assetHashType: AssetHashType.OUTPUT,
        bundling: {
          image: DockerImage.fromRegistry('unused-local-bundling-only'),
          // CDK caches a bundle by the asset's source and its bundling options, and `local` is a function
          // it cannot see into: without the name here, every function would get the first one's bundle.
          environment: { LAMBDA_FUNCTION_NAME: name },
          local: {
            tryBundle(outputDir) {
              execFileSync(
                process.execPath,
                ['--import', 'tsx', join(REPO_ROOT, 'scripts', 'bundle-lambda.ts'), name, outputDir],
                { cwd: REPO_ROOT, stdio: 'inherit' },
              );
              return true;
            },
          },
        },
      }),
    };
  }
}

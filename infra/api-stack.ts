import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  HttpApi,
  HttpAuthorizer,
  HttpAuthorizerType,
  HttpMethod,
  HttpStage,
  type IHttpRouteAuthorizer,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import {
  type HttpFunctionDeclaration,
  type MethodFallbackDeclaration,
  type Role,
  USER_POOL_OF_ROLE,
  type UserPoolName,
} from '../shared/function-model/declaration.ts';
import { fallbackRoutes } from '../shared/function-model/triggers.ts';
import { SERVICE_NAME, type StageConfig } from './config.ts';
import type { ServiceFunction } from './constructs/service-function.ts';
import { type ApiResources, declaredFunction } from './service-functions.ts';

export interface ApiStackProps extends StackProps {
  readonly config: StageConfig;
  readonly resources: ApiResources;
  /**
   * The HTTP functions (functions/catalog.ts). Their routes live in the routes stacks; this stack only
   * needs them for the fallback routes (one greedy `ANY` per role prefix).
   */
  readonly routes: readonly HttpFunctionDeclaration[];
  /** The function behind `ANY <path>` for every routed path: 405 with Allow for the other methods. */
  readonly methodFallback?: MethodFallbackDeclaration;
}

/** A route's reference to a JWT authorizer by id, read when the route binds: binding it creates nothing. */
const jwtAuthorizerRef = (authorizerId: () => string): IHttpRouteAuthorizer => ({
  bind: () => ({ authorizerId: authorizerId(), authorizationType: HttpAuthorizerType.JWT }),
});

/** The JWT authorizer of each user pool: construct ids kept from before the split (same logical ids). */
const AUTHORIZERS: Readonly<Record<UserPoolName, { readonly id: string; readonly name: string }>> = {
  patients: { id: 'CognitoJwtAuthorizer', name: 'cognito-jwt' },
  professionals: { id: 'ProfessionalsJwtAuthorizer', name: 'cognito-jwt-professionals' },
};

/**
 * What the routes hang on: the HTTP API, its Cognito JWT authorizers (one per user pool), its $default
 * stage and access logs, and the fallback of what no route serves. The routes themselves, with their
 * functions, live in the routes stacks, per role and area (infra/route-areas.ts), which attach to this API and
 * these authorizers by id (docs/adr/0001-stack-split.md).
 */
export class ApiStack extends Stack {
  readonly api: HttpApi;
  readonly apiStage: HttpStage;
  /** One per user pool, created here once: every route of the pool's roles refers to it by id. */
  readonly authorizers: Readonly<Record<UserPoolName, HttpAuthorizer>>;
  /** The functions of this stack (the method fallback), by declared name. */
  readonly routeFunctions = new Map<string, ServiceFunction>();

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const { config, resources, routes } = props;

    this.api = new HttpApi(this, 'HttpApi', {
      apiName: `${SERVICE_NAME}-${config.stage}`,
      description: 'Patient messaging API (v1)',
      // For any route added to this construct without an authorizer: nothing is reachable without a
      // Cognito JWT, and by default only with one of the MFA-required pool. (The routes stacks always
      // name their role's authorizer.) Read when a route binds, once the authorizers below exist.
      defaultAuthorizer: jwtAuthorizerRef(() => this.authorizers.professionals.authorizerId),
      createDefaultStage: false,
    });

    // One JWT authorizer per user pool: a route takes only the tokens of its role's pool and app client
    // (USER_POOL_OF_ROLE), so a patient-pool account never reaches a practitioner route whatever its
    // custom:role, and a practitioner route is only reachable with a token of the MFA-required pool.
    // Created explicitly (not by HttpJwtAuthorizer.bind, which creates one in the scope of the route's
    // API object: one per importing stack), at the construct paths HttpJwtAuthorizer used, so the
    // deployed authorizers keep their logical ids and are not replaced.
    const authorizerFor = (pool: UserPoolName) =>
      new HttpAuthorizer(this.api, AUTHORIZERS[pool].id, {
        httpApi: this.api,
        type: HttpAuthorizerType.JWT,
        authorizerName: AUTHORIZERS[pool].name,
        identitySource: ['$request.header.Authorization'],
        jwtIssuer: `https://cognito-idp.${this.region}.amazonaws.com/${resources.userPools[pool].pool.userPoolId}`,
        jwtAudience: [resources.userPools[pool].client.userPoolClientId],
      });
    this.authorizers = { patients: authorizerFor('patients'), professionals: authorizerFor('professionals') };

    // What no route serves (a known path with another method, an unknown path): API Gateway prefers
    // any route with the exact method and path, so a greedy `ANY` per role catches only the rest,
    // behind that role's authorizer. One API-wide invoke permission instead of one per route.
    if (props.methodFallback) {
      const fallback = declaredFunction(new Construct(this, 'Routes'), props.methodFallback.name, {
        declaration: props.methodFallback,
        kind: 'api',
        config,
        resources,
      });
      this.routeFunctions.set(props.methodFallback.name, fallback);
      const integration = new HttpLambdaIntegration('method-not-allowed-integration', fallback.function, {
        scopePermissionToRoute: false,
      });
      // The shared integration takes its logical id from the first route bound to it: roles in the order
      // they were introduced, so a new role never renames (replaces) the existing integration.
      const byIntroduction = fallbackRoutes(routes).sort(
        (a, b) =>
          ROLES_IN_ORDER_OF_INTRODUCTION.indexOf(a.role) - ROLES_IN_ORDER_OF_INTRODUCTION.indexOf(b.role),
      );
      for (const { path, role } of byIntroduction) {
        this.api.addRoutes({
          path,
          methods: [HttpMethod.ANY],
          integration,
          authorizer: jwtAuthorizerRef(() => this.authorizers[USER_POOL_OF_ROLE[role]].authorizerId),
        });
      }
    }

    const accessLogs = new LogGroup(this, 'ApiAccessLogs', {
      retention: config.logRetention,
      encryptionKey: resources.opsKey,
      removalPolicy: config.removalPolicy,
    });
    this.apiStage = new HttpStage(this, 'ApiStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: config.throttle.rateLimit, burstLimit: config.throttle.burstLimit },
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });

    // What leaves this stack: the API id (the routes stacks, the monitoring stack's API alarm and graphs)
    // and each authorizer's id (the routes stacks). Exported explicitly, so an export stays put whatever
    // imports it (CloudFormation refuses to remove or change an export that a stack imports).
    this.exportValue(this.api.apiId);
    for (const authorizer of Object.values(this.authorizers)) this.exportValue(authorizer.authorizerId);

    // What a client needs to call the API.
    new CfnOutput(this, 'ApiUrl', { value: this.apiStage.url, description: 'HTTP API base URL' });
    new CfnOutput(this, 'UserPoolId', {
      value: resources.userPools.patients.pool.userPoolId,
      description: "Patients' user pool",
    });
    new CfnOutput(this, 'UserPoolClientId', { value: resources.userPools.patients.client.userPoolClientId });
    new CfnOutput(this, 'ProfessionalPoolId', {
      value: resources.userPools.professionals.pool.userPoolId,
      description: "Practitioners' and assistants' user pool (TOTP MFA required)",
    });
    new CfnOutput(this, 'ProfessionalPoolClientId', {
      value: resources.userPools.professionals.client.userPoolClientId,
    });
    new CfnOutput(this, 'TableName', { value: resources.tableName });
  }
}

/** Every role, oldest first (a role missing here sorts first: add it at the end). */
const ROLES_IN_ORDER_OF_INTRODUCTION: readonly Role[] = ['patient', 'practitioner', 'assistant'];

/** Access log line: who called what, the outcome and the latency. Never bodies or headers. */
export const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  routeKey: '$context.routeKey',
  status: '$context.status',
  responseLatency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  responseLength: '$context.responseLength',
  protocol: '$context.protocol',
  sourceIp: '$context.identity.sourceIp',
  principal: '$context.authorizer.claims.sub',
  authorizerError: '$context.authorizer.error',
  integrationError: '$context.integrationErrorMessage',
} as const;

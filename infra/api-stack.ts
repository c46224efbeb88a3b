import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import {
  type HttpFunctionDeclaration,
  type MethodFallbackDeclaration,
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
  /** The HTTP functions (functions/catalog.ts), one route each. */
  readonly routes: readonly HttpFunctionDeclaration[];
  /** The function behind `ANY <path>` for every routed path: 405 with Allow for the other methods. */
  readonly methodFallback?: MethodFallbackDeclaration;
}

/**
 * The request path: the HTTP API with its Cognito JWT authorizers (one per user pool), its $default stage and access logs, and
 * one function per route (construct `Routes/<name>`) with its integration and invoke permission.
 * Alarms on these live in the monitoring stack (each route would otherwise add an eighth resource here).
 */
export class ApiStack extends Stack {
  readonly api: HttpApi;
  readonly apiStage: HttpStage;
  readonly routeFunctions = new Map<string, ServiceFunction>();

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const { config, resources, routes } = props;

    const routesScope = new Construct(this, 'Routes');
    for (const route of routes) {
      const fn = declaredFunction(routesScope, route.name, {
        declaration: route,
        kind: 'api',
        config,
        resources,
      });
      this.routeFunctions.set(route.name, fn);
    }

    // One JWT authorizer per user pool: a route takes only the tokens of its role's pool and app client
    // (USER_POOL_OF_ROLE), so a patient-pool account never reaches a practitioner route whatever its
    // custom:role, and a practitioner route is only reachable with a token of the MFA-required pool.
    // The patients' keeps its construct id (an unchanged resource on deploy).
    const authorizerFor = (pool: UserPoolName, id: string, name: string) =>
      new HttpJwtAuthorizer(
        id,
        `https://cognito-idp.${this.region}.amazonaws.com/${resources.userPools[pool].pool.userPoolId}`,
        { authorizerName: name, jwtAudience: [resources.userPools[pool].client.userPoolClientId] },
      );
    const authorizers: Record<UserPoolName, HttpJwtAuthorizer> = {
      patients: authorizerFor('patients', 'CognitoJwtAuthorizer', 'cognito-jwt'),
      professionals: authorizerFor(
        'professionals',
        'ProfessionalsJwtAuthorizer',
        'cognito-jwt-professionals',
      ),
    };
    this.api = new HttpApi(this, 'HttpApi', {
      apiName: `${SERVICE_NAME}-${config.stage}`,
      description: 'Patient messaging API (v1)',
      // Also the default for any route added later: nothing is reachable without a Cognito JWT, and by
      // default only with one of the MFA-required pool.
      defaultAuthorizer: authorizers.professionals,
      createDefaultStage: false,
    });
    for (const route of routes) {
      const fn = this.routeFunctions.get(route.name);
      if (!fn) throw new Error(`No function for route ${route.name}`);
      this.api.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration: new HttpLambdaIntegration(`${route.name}-integration`, fn.function),
        authorizer: authorizers[USER_POOL_OF_ROLE[route.role]],
      });
    }

    // What no route serves (a known path with another method, an unknown path): API Gateway prefers
    // any route with the exact method and path, so a greedy `ANY` per role catches only the rest,
    // behind that role's authorizer. One API-wide invoke permission instead of one per route.
    if (props.methodFallback) {
      const fallback = declaredFunction(routesScope, props.methodFallback.name, {
        declaration: props.methodFallback,
        kind: 'api',
        config,
        resources,
      });
      this.routeFunctions.set(props.methodFallback.name, fallback);
      const integration = new HttpLambdaIntegration('method-not-allowed-integration', fallback.function, {
        scopePermissionToRoute: false,
      });
      for (const { path, role } of fallbackRoutes(routes)) {
        this.api.addRoutes({
          path,
          methods: [HttpMethod.ANY],
          integration,
          authorizer: authorizers[USER_POOL_OF_ROLE[role]],
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

    // The monitoring stack's API alarm and graphs need the API id, which only exists once the API does: the
    // one reference out of this stack. Exported explicitly, so the export stays put whatever imports it.
    this.exportValue(this.api.apiId);

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

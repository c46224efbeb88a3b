import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { type CfnStage, WebSocketApi, WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { DEFAULT_BUS_NAME, REALTIME_ENV } from '../shared/config.ts';
import {
  type FunctionDeclaration,
  USER_POOL_OF_ROLE,
  type UserPoolName,
} from '../shared/function-model/declaration.ts';
import { eventRules } from '../shared/function-model/triggers.ts';
import { SERVICE_NAME, type StageConfig } from './config.ts';
import type { ServiceFunction } from './constructs/service-function.ts';
import { type Consumer, declaredConsumer, ruleTarget } from './events-stack.ts';
import { acknowledge } from './nag.ts';
import { type ApiResources, declaredFunction } from './service-functions.ts';

export interface RealtimeStackProps extends StackProps {
  readonly config: StageConfig;
  readonly resources: ApiResources;
  /** The Realtime functions (isRealtime): the authorizer, the `$connect`/`$disconnect` routes, the notifier(s). */
  readonly functions: readonly FunctionDeclaration[];
}

/** The WebSocket stage's access log line: connection, route, outcome; never a frame or a token. */
export const WEBSOCKET_ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  connectionId: '$context.connectionId',
  eventType: '$context.eventType',
  routeKey: '$context.routeKey',
  status: '$context.status',
  integrationLatency: '$context.integrationLatency',
  sourceIp: '$context.identity.sourceIp',
  principal: '$context.authorizer.principalId',
  authorizerError: '$context.authorizer.error',
  integrationError: '$context.integrationErrorMessage',
} as const;

/**
 * The live inbox (SPEC 11.4, docs/adr/0017-realtime-and-stats.md): the API Gateway WebSocket API with its
 * `$connect` Lambda authorizer (ID tokens of either user pool, the HTTP authorizers' rules), the `$connect`
 * and `$disconnect` functions, its stage with access logs, and the notifier that the bus feeds and that posts
 * to the connections. In a stack of its own: the notifier's only grant outside the table is
 * execute-api:ManageConnections on this API, whose id is only known here (no export needed), and the Api
 * stack does not grow.
 */
export class RealtimeStack extends Stack {
  readonly api: WebSocketApi;
  readonly stage: WebSocketStage;
  /** The authorizer and the routes' functions, by name. */
  readonly functions = new Map<string, ServiceFunction>();
  /** The notifier(s), with their DLQs. */
  readonly consumers = new Map<string, Consumer>();

  constructor(scope: Construct, id: string, props: RealtimeStackProps) {
    super(scope, id, props);
    const { config, resources } = props;
    const find = (match: (d: FunctionDeclaration) => boolean, what: string) => {
      const found = props.functions.find(match);
      if (!found) throw new Error(`The Realtime stack needs a declared ${what}`);
      return found;
    };

    const functionsScope = new Construct(this, 'Functions');
    const build = (declaration: FunctionDeclaration, environment?: Record<string, string>) => {
      const fn = declaredFunction(functionsScope, declaration.name, {
        declaration,
        kind: 'api',
        config,
        resources,
        ...(environment && { environment }),
      });
      this.functions.set(declaration.name, fn);
      return fn;
    };

    // What the HTTP API's JWT authorizers are configured with, for both pools (shared/runtime/id-token.ts).
    const pools = Object.fromEntries(
      (Object.keys(USER_POOL_OF_ROLE) as Array<keyof typeof USER_POOL_OF_ROLE>).map((role) => {
        const pool: UserPoolName = USER_POOL_OF_ROLE[role];
        const issuer = `https://cognito-idp.${this.region}.amazonaws.com/${resources.userPools[pool].pool.userPoolId}`;
        return [
          pool,
          {
            issuer,
            audience: resources.userPools[pool].client.userPoolClientId,
            jwksUrl: `${issuer}/.well-known/jwks.json`,
          },
        ];
      }),
    );
    const authorizerFunction = build(
      find((d) => d.trigger === 'websocket-authorizer', 'WebSocket authorizer'),
      {
        [REALTIME_ENV.authPools]: this.toJsonString(pools),
      },
    );
    const route = (key: string) =>
      build(find((d) => d.trigger === 'websocket' && d.route === key, `${key} route`));
    const connect = route('$connect');
    const disconnect = route('$disconnect');

    this.api = new WebSocketApi(this, 'WebSocketApi', {
      apiName: `${SERVICE_NAME}-${config.stage}-realtime`,
      description: 'Patient messaging live inbox (content-free notifications, SPEC 11.4)',
      connectRouteOptions: {
        integration: new WebSocketLambdaIntegration('ConnectIntegration', connect.function),
        authorizer: new WebSocketLambdaAuthorizer('TokenAuthorizer', authorizerFunction.function, {
          authorizerName: 'cognito-id-token',
          identitySource: ['route.request.querystring.token'],
        }),
      },
      disconnectRouteOptions: {
        integration: new WebSocketLambdaIntegration('DisconnectIntegration', disconnect.function),
      },
    });
    acknowledge(
      this.api,
      '$disconnect cannot have an authorizer (API Gateway runs authorizers on $connect only); it receives the ' +
        "authorizer's context of the connection it closes. No other route exists ($default is not served).",
      'AwsSolutions-APIG4',
    );

    const accessLogs = new LogGroup(this, 'WebSocketAccessLogs', {
      retention: config.logRetention,
      encryptionKey: resources.opsKey,
      removalPolicy: config.removalPolicy,
    });
    this.stage = new WebSocketStage(this, 'WebSocketStage', {
      webSocketApi: this.api,
      stageName: config.stage,
      autoDeploy: true,
      throttle: { rateLimit: config.throttle.rateLimit, burstLimit: config.throttle.burstLimit },
    });
    const cfnStage = this.stage.node.defaultChild as CfnStage;
    cfnStage.accessLogSettings = {
      destinationArn: accessLogs.logGroupArn,
      format: JSON.stringify(WEBSOCKET_ACCESS_LOG_FIELDS),
    };

    // The notifier: fed by the bus like any consumer, it posts through this stage's Management API.
    const bus = EventBus.fromEventBusName(this, 'Bus', DEFAULT_BUS_NAME);
    const notifiers = props.functions.filter((d) => d.access.postsToConnections);
    const consumersScope = new Construct(this, 'Consumers');
    const notifierResources = { ...resources, webSocketApi: { apiId: this.api.apiId, stage: config.stage } };
    for (const declaration of notifiers) {
      this.consumers.set(
        declaration.name,
        declaredConsumer(consumersScope, declaration, config, notifierResources, {
          [REALTIME_ENV.managementEndpoint]: this.stage.callbackUrl,
        }),
      );
    }
    const rulesScope = new Construct(this, 'Rules');
    for (const rule of eventRules(notifiers)) {
      const consumer = this.consumers.get(rule.target);
      if (!consumer) throw new Error(`No notifier for rule ${rule.name}`);
      new Rule(rulesScope, rule.name, {
        description: `${rule.name} → ${rule.target}`,
        eventBus: bus,
        eventPattern: { source: [...rule.pattern.source], detailType: [...rule.pattern['detail-type']] },
        targets: [ruleTarget(consumer)],
      });
    }

    new CfnOutput(this, 'WebSocketUrl', {
      value: this.stage.url,
      description: 'wss:// endpoint of the live inbox: ?token=<Cognito ID token>',
    });
  }
}

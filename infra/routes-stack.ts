import { Stack, type StackProps } from 'aws-cdk-lib';
import {
  HttpApi,
  HttpAuthorizer,
  HttpAuthorizerType,
  HttpMethod,
  HttpRoute,
  HttpRouteKey,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Construct } from 'constructs';
import type { HttpFunctionDeclaration, Role } from '../shared/function-model/declaration.ts';
import type { StageConfig } from './config.ts';
import type { ServiceFunction } from './constructs/service-function.ts';
import { areaGroupOf, routesStackName } from './route-areas.ts';
import { declaredFunction, type FunctionResources } from './service-functions.ts';

export interface RoutesStackProps extends StackProps {
  readonly config: StageConfig;
  readonly resources: FunctionResources;
  /** Every route of this stack is a route of this role (`/v1/<role>/…`). */
  readonly role: Role;
  /** Its area group (infra/route-areas.ts): undefined for the role's main stack. */
  readonly group: string | undefined;
  readonly routes: readonly HttpFunctionDeclaration[];
  /** The HTTP API of the Api stack, by id. */
  readonly apiId: string;
  /** The Api stack's JWT authorizer of the role's user pool (USER_POOL_OF_ROLE), by id. */
  readonly authorizerId: string;
}

/**
 * The routes of one role's area group (infra/route-areas.ts) on the Api stack's HTTP API: per route, its function (construct `Routes/<name>`),
 * its integration and invoke permission, and the route itself (construct `HttpRoutes/<name>`), behind the
 * authorizer of the role's pool. The API and the authorizer are referenced by id: nothing of the API is
 * created here, so the stage's auto-deploy picks the routes up (docs/adr/0001-stack-split.md).
 */
export class RoutesStack extends Stack {
  readonly role: Role;
  readonly group: string | undefined;
  readonly routeFunctions = new Map<string, ServiceFunction>();

  constructor(scope: Construct, id: string, props: RoutesStackProps) {
    super(scope, id, props);
    const { config, resources, role, routes } = props;
    this.role = role;
    this.group = props.group;
    const api = HttpApi.fromHttpApiAttributes(this, 'HttpApi', { httpApiId: props.apiId });
    // An imported authorizer binds to nothing: every route points at the one authorizer of the pool
    // (HttpJwtAuthorizer would create an authorizer per stack, in the scope of the imported API).
    const authorizer = HttpAuthorizer.fromHttpAuthorizerAttributes(this, 'JwtAuthorizer', {
      authorizerId: props.authorizerId,
      authorizerType: HttpAuthorizerType.JWT,
    });

    const functionsScope = new Construct(this, 'Routes');
    const routesScope = new Construct(this, 'HttpRoutes');
    for (const route of routes) {
      if (route.role !== role || areaGroupOf(route) !== props.group) {
        throw new Error(`Route ${route.name} belongs to ${routesStackName(route.role, areaGroupOf(route))}`);
      }
      const fn = declaredFunction(functionsScope, route.name, {
        declaration: route,
        kind: 'api',
        config,
        resources,
      });
      this.routeFunctions.set(route.name, fn);
      // The integration and the invoke permission (scoped to the route's path) are created in the
      // route's scope by the bind.
      new HttpRoute(routesScope, route.name, {
        httpApi: api,
        routeKey: HttpRouteKey.with(route.path, HttpMethod[route.method]),
        integration: new HttpLambdaIntegration(`${route.name}-integration`, fn.function),
        authorizer,
      });
    }
  }
}

import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { allowedMethods, httpRoutes } from '../../shared/function-model/triggers.ts';
import { tracer } from '../../shared/runtime/logger.ts';
import { FUNCTIONS } from '../catalog.ts';

const ROUTES = httpRoutes(FUNCTIONS);

const json = (
  statusCode: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify({ error: { code, message } }),
});

/**
 * Behind `ANY /v1/<role>/{proxy+}`: what no route serves, after the role's authorizer. A path some
 * route serves with other methods is a 405 listing them; any other path is the SPEC's 404 (instead
 * of API Gateway's bare `{"message":"Not Found"}`). Nothing is read or written.
 */
export const answerUnrouted = (event: APIGatewayProxyEventV2): APIGatewayProxyStructuredResultV2 => {
  const allow = allowedMethods(ROUTES, event.rawPath);
  if (allow.length === 0) return json(404, 'NOT_FOUND', 'No such route');
  const method = event.requestContext.http.method;
  return json(405, 'METHOD_NOT_ALLOWED', `${method} is not served here; use ${allow.join(', ')}`, {
    allow: allow.join(', '),
  });
};

export const handler = middy(async (event: APIGatewayProxyEventV2) => answerUnrouted(event)).use(
  captureLambdaHandler(tracer, { captureResponse: false }),
);

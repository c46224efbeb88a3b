import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { pathMethods } from '../../shared/function-model/triggers.ts';
import { tracer } from '../../shared/runtime/logger.ts';
import { FUNCTIONS } from '../catalog.ts';

const ALLOW = new Map(pathMethods(FUNCTIONS).map(({ path, methods }) => [path, methods.join(', ')]));

const json = (statusCode: number, code: string, message: string, headers: Record<string, string> = {}) => ({
  statusCode,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify({ error: { code, message } }),
});

/**
 * Behind `ANY <path>` (routeKey `ANY /v1/…/{id}`): the path is known, the method is not one of its
 * routes. Nothing is read or written; the caller already passed the path's authorizer.
 */
export const answerMethodNotAllowed = (event: APIGatewayProxyEventV2): APIGatewayProxyStructuredResultV2 => {
  const path = event.routeKey.replace(/^ANY /, '');
  const allow = ALLOW.get(path);
  if (!allow) return json(404, 'NOT_FOUND', 'No such route');
  return json(
    405,
    'METHOD_NOT_ALLOWED',
    `${event.requestContext.http.method} is not served here; use ${allow}`,
    {
      allow,
    },
  );
};

export const handler = middy(async (event: APIGatewayProxyEventV2) => answerMethodNotAllowed(event)).use(
  captureLambdaHandler(tracer, { captureResponse: false }),
);

import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { ErrorCode } from '../domain/errors.ts';

const HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

export const json = (statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: HEADERS,
  body: body === undefined ? '' : JSON.stringify(body),
});

export const errorResponse = (
  statusCode: number,
  code: ErrorCode,
  message: string,
  details?: unknown,
): APIGatewayProxyStructuredResultV2 =>
  json(statusCode, { error: { code, message, ...(details !== undefined && { details }) } });

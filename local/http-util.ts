/** Small HTTP helpers for the local servers: bounded body reading and JSON answers. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';

export class PayloadTooLarge extends Error {
  override readonly name = 'PayloadTooLarge';
}

/** Reads the body as UTF-8, refusing more than `limit` bytes (the rest is discarded, not buffered). */
export const readBody = async (req: IncomingMessage, limit: number): Promise<string> => {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) {
    req.resume();
    throw new PayloadTooLarge(`Request body is larger than ${limit} bytes`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      req.resume();
      throw new PayloadTooLarge(`Request body is larger than ${limit} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
};

export const sendJson = (
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void => {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(payload)),
    ...headers,
  });
  res.end(payload);
};

export const sendError = (
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  details?: unknown,
  headers?: Record<string, string>,
): void =>
  sendJson(res, status, { error: { code, message, ...(details === undefined ? {} : { details }) } }, headers);

/** zod issues as field-level details, the same shape as shared/http/errors.ts zodDetails. */
export const validationDetails = (
  error: z.ZodError,
): Array<{ path: string[]; code: string; message: string }> =>
  error.issues.map((issue) => ({ path: issue.path.map(String), code: issue.code, message: issue.message }));

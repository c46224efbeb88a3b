/**
 * The e2e tier's client: every call goes through the repository's typed client
 * (clients/typescript: openapi-fetch over the types generated from openapi.json)
 * with a middleware that checks each answer against openapi.json
 * (test/support/contract.ts) — an undeclared status or a body that does not
 * match its schema fails the test. `rawBody` (deliberately malformed input)
 * goes out with plain fetch, and its answer is checked the same way.
 *
 *   const api = createApiClient(baseUrl);
 *   const res = await api.as(token).post('/v1/patient/threads', { practitionerId, body });
 *   res.status  // number
 *   res.body    // parsed JSON (or the text when not JSON; null when empty)
 *
 *   api.get(path, { query?, headers? }) · post/put/patch(path, body?, { headers? }) · delete(path)
 *   api.request(method, path, { body?, rawBody?, headers? })   rawBody: sent as is
 *   api.as(undefined) drops the token.
 */

import type { Middleware } from 'openapi-fetch';
import { createPatientMessagingClient } from '../../clients/typescript/src/index.ts';
import { assertDeclaredResponse } from './contract.ts';

// Test ergonomics: bodies are read as res.body.thread.id without casts.
// biome-ignore lint/suspicious/noExplicitAny: JSON bodies in tests
export type Json = any;

export interface ApiResponse<T = Json> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  query?: Record<string, string | number | boolean | undefined>;
}

export interface ApiClient {
  readonly baseUrl: string;
  as(token: string | undefined): ApiClient;
  request(
    method: string,
    path: string,
    options?: RequestOptions & { body?: unknown; rawBody?: string | Uint8Array },
  ): Promise<ApiResponse>;
  get(path: string, options?: RequestOptions): Promise<ApiResponse>;
  delete(path: string, options?: RequestOptions): Promise<ApiResponse>;
  post(path: string, body?: unknown, options?: RequestOptions): Promise<ApiResponse>;
  put(path: string, body?: unknown, options?: RequestOptions): Promise<ApiResponse>;
  patch(path: string, body?: unknown, options?: RequestOptions): Promise<ApiResponse>;
}

type UntypedRequest = (
  method: string,
  url: string,
  init: Record<string, unknown>,
) => Promise<{ data?: unknown; error?: unknown; response: Response }>;

const parse = (text: string): Json => {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
};

/** Checks every answer against openapi.json; the thrown ContractViolation fails the calling test. */
export const contractCheck: Middleware = {
  async onResponse({ request, response }) {
    const text = await response.clone().text();
    assertDeclaredResponse(
      request.method,
      new URL(request.url).pathname,
      response.status,
      response.headers.get('content-type'),
      parse(text),
    );
    return undefined;
  },
};

const withQuery = (url: URL, query: RequestOptions['query']) => {
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined) url.searchParams.append(key, String(value));
  }
  return url;
};

export const createApiClient = (baseUrl: string, token?: string): ApiClient => {
  const base = baseUrl.replace(/\/$/, '');
  const typed = createPatientMessagingClient({
    baseUrl: base,
    ...(token !== undefined && { token }),
    middleware: [contractCheck],
  });
  const raw = async (method: string, path: string, body: string | Uint8Array, options: RequestOptions) => {
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    if (token) headers.authorization = `Bearer ${token}`;
    const url = withQuery(new URL(`${base}${path}`), options.query);
    const response = await fetch(url, { method, headers, body });
    const text = await response.text();
    assertDeclaredResponse(
      method,
      url.pathname,
      response.status,
      response.headers.get('content-type'),
      parse(text),
    );
    return { status: response.status, headers: response.headers, body: parse(text), text };
  };
  const client: ApiClient = {
    baseUrl: base,
    as: (newToken) => createApiClient(base, newToken),
    request: async (method, path, options = {}) => {
      if (options.rawBody !== undefined) return raw(method, path, options.rawBody, options);
      // Paths arrive already filled in (e.g. /v1/patient/threads/t-1): the typed client is used
      // untyped here, so tests can also call paths and methods the document does not list.
      const { data, error, response } = await (typed.request as UntypedRequest)(method.toLowerCase(), path, {
        headers: { accept: 'application/json', ...options.headers },
        ...(options.query && { params: { query: options.query } }),
        ...(options.body !== undefined && { body: options.body }),
        parseAs: 'text',
      });
      // openapi-fetch hands a success body as text (parseAs) and an error body parsed when it is JSON.
      const answer = response.ok ? data : error;
      const text = answer === undefined ? '' : typeof answer === 'string' ? answer : JSON.stringify(answer);
      return { status: response.status, headers: response.headers, body: parse(text), text };
    },
    get: (path, options) => client.request('GET', path, options),
    delete: (path, options) => client.request('DELETE', path, options),
    post: (path, body, options) => client.request('POST', path, { ...options, body }),
    put: (path, body, options) => client.request('PUT', path, { ...options, body }),
    patch: (path, body, options) => client.request('PATCH', path, { ...options, body }),
  };
  return client;
};

/**
 * A tiny JSON client for driving the local API in tests.
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

export const createApiClient = (baseUrl: string, token?: string): ApiClient => {
  const base = baseUrl.replace(/\/$/, '');
  const client: ApiClient = {
    baseUrl: base,
    as: (newToken) => createApiClient(base, newToken),
    request: async (method, path, options = {}) => {
      const url = new URL(`${base}${path}`);
      for (const [key, value] of Object.entries(options.query ?? {})) {
        if (value !== undefined) url.searchParams.append(key, String(value));
      }
      const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
      if (token) headers.authorization = `Bearer ${token}`;
      let body: string | Uint8Array | undefined = options.rawBody;
      if (body === undefined && options.body !== undefined) {
        body = JSON.stringify(options.body);
        headers['content-type'] ??= 'application/json';
      }
      const response = await fetch(url, { method, headers, ...(body === undefined ? {} : { body }) });
      const text = await response.text();
      let parsed: Json = null;
      if (text) {
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = text;
        }
      }
      return { status: response.status, headers: response.headers, body: parsed, text };
    },
    get: (path, options) => client.request('GET', path, options),
    delete: (path, options) => client.request('DELETE', path, options),
    post: (path, body, options) => client.request('POST', path, { ...options, body }),
    put: (path, body, options) => client.request('PUT', path, { ...options, body }),
    patch: (path, body, options) => client.request('PATCH', path, { ...options, body }),
  };
  return client;
};

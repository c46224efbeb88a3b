/**
 * The typed client of the patient messaging API: openapi-fetch over the types
 * openapi-typescript generates from openapi.json (src/schema.d.ts, regenerated
 * by `npm run client` at the repository root; a test fails when it is stale).
 *
 *   const api = createPatientMessagingClient({ baseUrl, token: () => session.idToken });
 *   const { data, error } = await api.POST('/v1/patient/threads', { body: { practitionerId, body } });
 *
 * Every path, parameter, body and response is typed from the document: `data`
 * is the declared success body of the status received, `error` the declared
 * error body (`{ error: { code, message, details? } }`).
 */
import createClient, { type Client, type ClientOptions, type Middleware } from 'openapi-fetch';
import type { components, operations, paths } from './schema.js';

export type { components, operations, paths };
export type PatientMessagingClient = Client<paths>;

/** A view of the API by its component name, e.g. `Schema<'Error'>`. */
export type Schema<Name extends keyof components['schemas']> = components['schemas'][Name];

export interface PatientMessagingClientOptions extends ClientOptions {
  /** The API's base URL, e.g. `http://localhost:3000` for `npm start`. */
  baseUrl: string;
  /**
   * The caller's Cognito ID token (not the access token: the API checks `token_use`), or a
   * function returning the current one; sent as `Authorization: Bearer …`.
   */
  token?: string | (() => string | undefined | Promise<string | undefined>);
  /** More openapi-fetch middlewares (logging, response checks…), applied in order after the token. */
  middleware?: readonly Middleware[];
}

export const createPatientMessagingClient = (
  options: PatientMessagingClientOptions,
): PatientMessagingClient => {
  const { token, middleware = [], ...clientOptions } = options;
  const client = createClient<paths>(clientOptions);
  if (token !== undefined) {
    client.use({
      async onRequest({ request }) {
        const value = typeof token === 'function' ? await token() : token;
        if (value) request.headers.set('authorization', `Bearer ${value}`);
        return request;
      },
    });
  }
  for (const m of middleware) client.use(m);
  return client;
};

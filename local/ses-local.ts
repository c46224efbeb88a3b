/**
 * Runs aws-ses-v2-local in this process, bound to 127.0.0.1 (it would listen on
 * every interface by default). Its mail store is a module-level global, so two
 * instances in one process share the same emails.
 */
import type { Server } from 'node:http';
import * as sesModule from 'aws-ses-v2-local';
import { closeServer } from './net.ts';

type SesServerFactory = (config?: Partial<{ host: string; port: number }>) => Promise<Server>;

/** The package is CommonJS with `exports.default`; Node's ESM interop and bundlers disagree on where it lands. */
const resolveFactory = (): SesServerFactory => {
  const candidates: unknown[] = [
    (sesModule as { default?: unknown }).default,
    (sesModule as { default?: { default?: unknown } }).default?.default,
  ];
  const factory = candidates.find((c) => typeof c === 'function');
  if (!factory) throw new Error('aws-ses-v2-local: could not find its server() export');
  return factory as SesServerFactory;
};

export interface StoredEmail {
  messageId: string;
  from: string;
  destination: { to: string[]; cc: string[]; bcc: string[] };
  subject: string;
  body: { html?: string; text?: string };
  at: number;
  [key: string]: unknown;
}

export interface SesLocal {
  /** SES endpoint for the SDK (SES_ENDPOINT) and the web inbox at `/`. */
  url: string;
  port: number;
  emails(): Promise<StoredEmail[]>;
  clear(): Promise<void>;
  stop(): Promise<void>;
}

export const startSesLocal = async (options: { port?: number; host?: string } = {}): Promise<SesLocal> => {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 0;
  const server = await resolveFactory()({ host, port });
  // Its listen callback also fires on error (express 5), so check it really listens.
  if (!server.listening) {
    throw new Error(`local SES: could not listen on ${host}:${port} (port in use? set SES_PORT)`);
  }
  const address = server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  const url = `http://${host}:${boundPort}`;
  return {
    url,
    port: boundPort,
    emails: async () => {
      const response = await fetch(`${url}/store`);
      const store = (await response.json()) as { emails: StoredEmail[] };
      return store.emails;
    },
    clear: async () => {
      await fetch(`${url}/clear-store`, { method: 'POST' });
    },
    stop: () => closeServer(server),
  };
};

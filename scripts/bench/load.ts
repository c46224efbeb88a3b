/**
 * Throughput under load: autocannon (in a child process, so the load generator
 * does not share the event loop of the server it measures) against the local
 * API, and against a bare node:http server answering a constant JSON, in the
 * same run and with the same settings.
 */
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { closeServer, listen } from '../../local/net.ts';
import { progress } from './report.ts';

const run = promisify(execFile);

export interface LoadResult {
  label: string;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  total: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

interface AutocannonJson {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  '2xx': number;
}

const autocannonBin = (): string =>
  join(dirname(createRequire(import.meta.url).resolve('autocannon/package.json')), 'autocannon.js');

export const load = async (
  label: string,
  options: {
    url: string;
    connections: number;
    seconds: number;
    method?: string;
    headers?: Record<string, string>;
    body?: string;
  },
): Promise<LoadResult> => {
  progress(`load: ${label}, ${options.connections} connections, ${options.seconds} s`);
  const args = [
    autocannonBin(),
    '--json',
    '--connections',
    String(options.connections),
    '--duration',
    String(options.seconds),
    '--method',
    options.method ?? 'GET',
  ];
  for (const [name, value] of Object.entries(options.headers ?? {}))
    args.push('--headers', `${name}=${value}`);
  if (options.body !== undefined) args.push('--body', options.body);
  args.push(options.url);
  const { stdout } = await run(process.execPath, args, {
    maxBuffer: 16 * 1024 * 1024,
    timeout: (options.seconds + 60) * 1000,
  });
  const result = JSON.parse(stdout) as AutocannonJson;
  return {
    label,
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    total: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
};

/** A bare node:http server answering a constant JSON: the ceiling of this machine and client. */
export const startBareServer = async (): Promise<{ url: string; stop(): Promise<void> }> => {
  const payload = JSON.stringify({ untreatedMessages: 3, unreadThreads: 2, openThreads: 5 });
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(payload)),
    });
    res.end(payload);
  });
  const port = await listen(server, 0, '127.0.0.1', 'bare server');
  return { url: `http://127.0.0.1:${port}/`, stop: () => closeServer(server) };
};

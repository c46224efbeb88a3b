import { AsyncLocalStorage } from 'node:async_hooks';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import type { Context } from 'aws-lambda';

/**
 * One logger, metrics and tracer per process. Never log a request body, a
 * message text or an email address: log ids, codes and counts.
 */
const processLogger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'patient-messaging',
  // No correlationIdSearchFn: the wrappers pass the correlation id itself (API Gateway's request id, the
  // event's), never a JMESPath expression, and the search function would bundle a JMESPath interpreter.
});

const invocationLoggers = new AsyncLocalStorage<Logger>();

/**
 * The logger of the invocation being served — its Lambda context, its keys, its
 * correlation id — and the process's outside any. Every module logs through it,
 * so a log line always carries its own invocation's correlation id, even where
 * invocations overlap in one process (the local stack runs every function in one).
 */
export const logger: Logger = new Proxy(processLogger, {
  get(target, property) {
    const current = invocationLoggers.getStore() ?? target;
    const value: unknown = Reflect.get(current, property, current);
    return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(current) : value;
  },
});

/** Runs one invocation with a logger of its own (the handler wrappers call it; keys never leak to another). */
export const withInvocationLogger = <T>(context: Context, run: () => Promise<T>): Promise<T> => {
  const invocation = processLogger.createChild();
  invocation.addContext(context);
  return invocationLoggers.run(invocation, run);
};
/**
 * Many invocations (reads, idle sweeps) add no metric: Metrics would then warn on
 * every one of them. That warning is noise in CloudWatch, so only it is dropped.
 */
const metricsLogger = {
  // Metrics only ever passes one string.
  debug: (message: unknown) => logger.debug(String(message)),
  info: (message: unknown) => logger.info(String(message)),
  warn: (message: unknown) => {
    if (String(message).startsWith('No application metrics to publish')) return;
    logger.warn(String(message));
  },
  error: (message: unknown) => logger.error(String(message)),
};

export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'PatientMessaging',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'patient-messaging',
  logger: metricsLogger,
});
export const tracer = new Tracer({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'patient-messaging' });

const EMAIL_LIKE = /[^\s@<>"'(),;:[\]]+@[^\s@<>"'(),;:[\]]+/g;

/** Replaces anything that looks like an email address (SES refusals quote the recipient). */
export const maskEmailAddresses = (text: string): string => text.replace(EMAIL_LIKE, '<email>');

/**
 * What may be logged of an error: its name, its message with anything that
 * looks like an email address masked and cut short (SES refusals quote the
 * recipient), and the stack frames without the message line. Never the error
 * object itself (SDK errors carry the request).
 */
export const errorFields = (error: unknown) => {
  const e = (error ?? {}) as { name?: unknown; message?: unknown; stack?: unknown };
  return {
    errorName: typeof e.name === 'string' ? e.name : typeof error,
    ...(typeof e.message === 'string' && {
      errorMessage: maskEmailAddresses(e.message).slice(0, 200),
    }),
    ...(typeof e.stack === 'string' && {
      stack: e.stack
        .split('\n')
        .filter((line) => /^\s+at /.test(line))
        .slice(0, 15)
        .join('\n'),
    }),
  };
};

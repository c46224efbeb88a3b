/**
 * A tiny prefixing logger for the local stack ("[api] ...", "[bus] ..."). Only local/
 * prints; functions/ and shared/ use the Powertools logger.
 */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  child(prefix: string): Logger;
}

export interface LoggerOptions {
  /** Drop info lines (tests); warnings and errors still go to stderr. */
  quiet?: boolean;
  out?: (line: string) => void;
  err?: (line: string) => void;
}

const stamp = (): string => new Date().toISOString().slice(11, 23);

export const createLogger = (prefix: string, options: LoggerOptions = {}): Logger => {
  const out = options.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const err = options.err ?? ((line: string) => process.stderr.write(`${line}\n`));
  const format = (message: string) =>
    message
      .split('\n')
      .map((line) => `${stamp()} [${prefix}] ${line}`)
      .join('\n');
  return {
    info: (message) => {
      if (!options.quiet) out(format(message));
    },
    warn: (message) => err(format(message)),
    error: (message) => err(format(message)),
    child: (child) => createLogger(child, options),
  };
};

/** Describes an unknown thrown value for a log line: name, message and stack, never request data. */
export const describeError = (error: unknown): string => {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return String(error);
};

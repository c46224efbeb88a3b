/**
 * Imported first by the benchmark entry points (before any function module): the
 * functions' Powertools logger and metrics read their settings when first
 * imported, so they are quietened here and the report alone goes to stdout.
 */
// The benches run the local stack: its modules (cursor signing…) read the local settings when imported.
process.env.LOCAL_STACK ??= '1';
process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.POWERTOOLS_TRACE_ENABLED ??= 'false';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// Powertools Metrics warns on every invocation that adds no metric (its own Console, on stderr);
// thousands of such lines under load would bury the progress lines.
const writeStderr = process.stderr.write.bind(process.stderr);
process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) =>
  typeof chunk === 'string' && chunk.startsWith('No application metrics to publish')
    ? true
    : writeStderr(chunk, ...rest)) as typeof process.stderr.write;

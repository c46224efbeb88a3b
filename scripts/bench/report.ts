/** Small helpers for the benchmark: percentiles, number formatting, markdown tables. */

/** Nearest-rank percentile of unsorted samples (p in 0–100). */
export const percentile = (samples: readonly number[], p: number): number => {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
};

export const median = (samples: readonly number[]) => percentile(samples, 50);

export const fmt = (value: number, digits = 1): string =>
  Number.isFinite(value) ? value.toFixed(digits) : '–';

export const ratio = (value: number, baseline: number): string =>
  Number.isFinite(value) && Number.isFinite(baseline) && baseline > 0
    ? `×${(value / baseline).toFixed(1)}`
    : '–';

export const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;

export const markdownTable = (header: readonly string[], rows: ReadonlyArray<readonly string[]>): string => {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
};

/** Progress goes to stderr so stdout holds the report only. */
export const progress = (message: string) => process.stderr.write(`[bench] ${message}\n`);

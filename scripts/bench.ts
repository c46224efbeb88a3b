/**
 * `npm run bench`: the benchmark suite (scripts/bench/main.ts), loaded once the
 * functions' logs and metrics are quietened (./bench/quiet.ts).
 */
import './bench/quiet.ts';

await import('./bench/main.ts');

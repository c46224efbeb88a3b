/**
 * `npm run bench:heat`: write and read units per partition key under a realistic
 * mix, extrapolated to 100× France at peak (scripts/bench/heat/main.ts, the model
 * in docs/scale.md), loaded once the functions' logs and metrics are quietened.
 */
import './bench/quiet.ts';

await import('./bench/heat/main.ts');

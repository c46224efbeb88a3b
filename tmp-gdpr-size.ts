import { join } from 'node:path';
import { build } from 'esbuild';
import { lambdaBuildOptions } from '/work/wt-gdpr/infra/bundling.ts';

const root = process.argv[2];
const names = process.argv.slice(3);
const result = await build({
  ...lambdaBuildOptions(root),
  sourcemap: false,
  entryPoints: Object.fromEntries(names.map((n) => [n, join(root, 'functions', n, 'handler.ts')])),
  write: false,
  outdir: 'b',
  outExtension: { '.js': '.mjs' },
  metafile: true,
  logLevel: 'silent',
});
for (const [file, out] of Object.entries(result.metafile!.outputs)) {
  if (!out.entryPoint) continue;
  console.log(file, out.bytes);
  const top = Object.entries(out.inputs)
    .filter(([i]) => !i.includes('node_modules'))
    .map(([i, v]) => [i.replace(root, ''), v.bytesInOutput] as const)
    .sort((a, b) => b[1] - a[1]);
  if (process.env.SHOW) for (const [i, b] of top) console.log('  ', b, i);
}

/**
 * Bundles one function for deployment: `tsx scripts/bundle-lambda.ts <name> <outdir>`
 * writes <outdir>/index.mjs and its source map with `lambdaBuildOptions`
 * (infra/bundling.ts), the build the bundle test and the bench measure. The CDK
 * wrapper (infra/constructs/service-function.ts) runs it as the asset's local
 * bundling: NodejsFunction drives esbuild's command line, which takes no plugin,
 * and the Lambda build has one (infra/sdk-schemas-plugin.ts).
 */
import { join } from 'node:path';
import { build } from 'esbuild';
import { lambdaBuildOptions } from '../infra/bundling.ts';
import { handlerEntry, REPO_ROOT } from '../infra/paths.ts';

const [name, outdir] = process.argv.slice(2);
if (!name || !outdir)
  throw new Error('usage: tsx scripts/bundle-lambda.ts <function name> <output directory>');

await build({
  ...lambdaBuildOptions(REPO_ROOT),
  entryPoints: [handlerEntry(name)],
  outfile: join(outdir, 'index.mjs'),
  logLevel: 'warning',
});

/**
 * The zod every Lambda bundles: the functional `zod/mini` API, with the English
 * messages the classic API sets (docs/adr/0006-bundle-size.md). Same parsers,
 * same issues and messages as `import * as z from 'zod'`, but a bundle only
 * carries the schema kinds and checks it uses (~30 KB instead of ~95 KB) and
 * builds its schemas faster at cold start. Everything that validates imports
 * `* as z` from here, so the messages are configured before any schema parses.
 *
 *   z.string().min(1).max(5)      →  z.string().check(z.minLength(1), z.maxLength(5))
 *   z.number().int().min(0)       →  z.number().check(z.int(), z.gte(0))
 *   schema.optional() / .nullable() / .default(v)  →  z.optional(schema) / z.nullable(schema) / z._default(schema, v)
 *   schema.refine(f, m) / .superRefine(f)          →  schema.check(z.refine(f, m)) / schema.check(z.superRefine(f))
 *   schema.transform(f)           →  z.pipe(schema, z.transform(f))
 */
import { en } from 'zod/locales';
import { config } from 'zod/mini';

config(en());

// Used as `import * as z from '…/validation.ts'`: member by member, so the bundle keeps only what is used.
export * from 'zod/mini';

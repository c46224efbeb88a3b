import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root: the esbuild project root and where package-lock.json lives. */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

export const LOCK_FILE = join(REPO_ROOT, 'package-lock.json');

/** functions/<name>/handler.ts, next to the function's declaration (functions/<name>/function.ts). */
export const handlerEntry = (name: string): string => join(REPO_ROOT, 'functions', name, 'handler.ts');

export const handlerExists = (name: string): boolean => existsSync(handlerEntry(name));

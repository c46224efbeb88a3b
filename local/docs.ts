/**
 * The API reference of the local stack, offline (no CDN: everything comes from
 * node_modules):
 *   GET /openapi.json         the committed document (`npm run openapi` regenerates it)
 *   GET /docs                 Swagger UI over /openapi.json ("Try it out" calls this stack)
 *   GET /docs/assets/<file>   Swagger UI's own files, from the swagger-ui-dist package
 * Without swagger-ui-dist installed, /docs falls back to a plain table of the routes.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { sendError } from './http-util.ts';

const ASSETS: Readonly<Record<string, string>> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
  'favicon-16x16.png': 'image/png',
};

const swaggerUiDir = (): string | undefined => {
  try {
    return dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  } catch {
    return undefined;
  }
};

const TITLE = 'Patient messaging API (local)';

/** How to get a token: the one thing the document cannot do for you. */
const TOKEN_HINT =
  'Tokens come from <code>POST /local/token {"sub": "dr-martin", "role": "practitioner"}</code>' +
  ' (or <code>"role": "patient"</code>, with <code>"email": "…"</code> for a verified address that patient emails go to);' +
  ' send them as <code>Authorization: Bearer &lt;token&gt;</code>.';

const swaggerPage = () => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${TITLE}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
<style>body{margin:0}.hint{font:14px system-ui,sans-serif;margin:0;padding:12px 20px;background:#f4f7fa;border-bottom:1px solid #dde}.hint input,.hint select,.hint button{font:inherit}</style>
</head><body>
<form class="hint" id="token-form">${TOKEN_HINT}
 Get one and authorize: <input id="sub" value="dr-martin" size="14" aria-label="sub">
 <select id="role" aria-label="role"><option>practitioner</option><option>patient</option></select>
 <button type="submit">Authorize as</button> <span id="token-status"></span>
 · Raw document: <a href="/openapi.json">/openapi.json</a></form>
<div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/swagger-ui-standalone-preset.js"></script>
<script>
window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: 'BaseLayout',
  deepLinking: true,
  persistAuthorization: true,
  displayRequestDuration: true,
  // No call to the public validator: the page works offline and sends the document nowhere.
  validatorUrl: null,
});
document.getElementById('token-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const status = document.getElementById('token-status');
  const sub = document.getElementById('sub').value;
  const role = document.getElementById('role').value;
  const res = await fetch('/local/token', { method: 'POST', body: JSON.stringify({ sub, role }) });
  if (!res.ok) { status.textContent = 'refused (' + res.status + ')'; return; }
  window.ui.preauthorizeApiKey('bearerJwt', (await res.json()).token);
  status.textContent = 'authorized as ' + role + ' ' + sub;
});
</script></body></html>`;

const tablePage = () => `<!doctype html>
<html><head><meta charset="utf-8"><title>${TITLE}</title>
<style>body{font:14px system-ui;margin:2em}td,th{padding:.3em .8em;text-align:left;border-bottom:1px solid #ddd}code{font-size:13px}</style>
</head><body><h1>${TITLE}</h1><p>${TOKEN_HINT}</p><p><a href="/openapi.json">openapi.json</a> (install the dev dependencies for the full reference)</p>
<table id="t"><tr><th>method</th><th>path</th><th>summary</th></tr></table>
<script>
fetch('/openapi.json').then(r => r.json()).then(doc => {
  const t = document.getElementById('t');
  for (const [path, ops] of Object.entries(doc.paths || {})) for (const [m, op] of Object.entries(ops)) {
    if (typeof op !== 'object' || !op) continue;
    const tr = t.insertRow();
    tr.insertCell().textContent = m.toUpperCase();
    tr.insertCell().innerHTML = '<code></code>'; tr.cells[1].firstChild.textContent = path;
    tr.insertCell().textContent = op.summary || '';
  }
});
</script></body></html>`;

/** A Host header worth echoing as the document's server (it comes from the client). */
const HOST = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

/**
 * The committed document names its server relatively ("/"); served here it names this stack's own
 * origin, so Swagger UI and generated clients show the real URL (whatever PORT is).
 */
const withServer = (document: Buffer, host: string | undefined): Buffer | string => {
  if (!host || !HOST.test(host)) return document;
  const parsed = JSON.parse(document.toString('utf8')) as { servers?: unknown };
  parsed.servers = [{ url: `http://${host}`, description: 'This local stack (npm start)' }];
  return `${JSON.stringify(parsed, null, 2)}\n`;
};

/** Serves /docs, /docs/assets/* and /openapi.json; answers false for any other path. */
export const serveApiDocs = (
  res: ServerResponse,
  path: string,
  openApiFile: string | undefined,
  host?: string,
): boolean => {
  if (
    path !== '/docs' &&
    path !== '/docs/' &&
    path !== '/openapi.json' &&
    !path.startsWith('/docs/assets/')
  ) {
    return false;
  }
  if (path.startsWith('/docs/assets/')) {
    const name = path.slice('/docs/assets/'.length);
    const type = ASSETS[name];
    const dir = swaggerUiDir();
    // Only the listed files: a path is never joined from user input beyond this allow-list.
    if (!type || !dir || !existsSync(join(dir, name))) {
      sendError(res, 404, 'NOT_FOUND', `No asset ${name}`);
      return true;
    }
    res.writeHead(200, { 'content-type': type, 'cache-control': 'public, max-age=3600' });
    res.end(readFileSync(join(dir, name)));
    return true;
  }
  if (!openApiFile || !existsSync(openApiFile)) {
    sendError(res, 404, 'NOT_FOUND', 'No OpenAPI document yet: run `npm run openapi`');
    return true;
  }
  if (path === '/openapi.json') {
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache' });
    res.end(withServer(readFileSync(openApiFile), host));
    return true;
  }
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' });
  res.end(swaggerUiDir() ? swaggerPage() : tablePage());
  return true;
};

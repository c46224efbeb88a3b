/**
 * Route matching like API Gateway HTTP API: `{param}` segments match one
 * non-empty segment, literal segments beat parameters, a route with the exact
 * method beats an `ANY` route of the same path (how the 405 fallback is
 * wired, as in AWS), and an unmatched method+path is a 404.
 */

export interface RouteLike {
  method: string;
  path: string;
}

type Segment = { literal: string } | { param: string };

interface CompiledRoute<R extends RouteLike> {
  route: R;
  segments: Segment[];
  /** Sort key: literal segments first, so /threads/summary beats /threads/{id}. */
  specificity: string;
}

export interface RouteMatch<R extends RouteLike> {
  route: R;
  /** Undefined when the route has no parameters, as in the API Gateway event. */
  pathParameters: Record<string, string> | undefined;
}

const PARAM = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

const compile = <R extends RouteLike>(route: R): CompiledRoute<R> => {
  if (!route.path.startsWith('/')) throw new Error(`Route path must start with "/": ${route.path}`);
  const names = new Set<string>();
  const segments = route.path
    .split('/')
    .slice(1)
    .map((part): Segment => {
      const param = PARAM.exec(part)?.[1];
      if (param) {
        if (names.has(param)) throw new Error(`Duplicate path parameter {${param}} in ${route.path}`);
        names.add(param);
        return { param };
      }
      if (/[{}]/.test(part)) throw new Error(`Unsupported path segment "${part}" in ${route.path}`);
      return { literal: part };
    });
  return { route, segments, specificity: segments.map((s) => ('literal' in s ? '0' : '1')).join('') };
};

export interface Router<R extends RouteLike> {
  match(method: string, path: string): RouteMatch<R> | undefined;
  routes: readonly R[];
}

/** Compiles routes once; throws on duplicates or malformed paths so mistakes fail at startup. */
export const createRouter = <R extends RouteLike>(routes: readonly R[]): Router<R> => {
  const seen = new Set<string>();
  for (const route of routes) {
    const key = `${route.method} ${route.path.replace(/\{[^}]*\}/g, '{}')}`;
    if (seen.has(key)) throw new Error(`Duplicate route ${route.method} ${route.path}`);
    seen.add(key);
  }
  const compiled = routes.map(compile).sort((a, b) => a.specificity.localeCompare(b.specificity));

  const matchWith = (method: string, path: string): RouteMatch<R> | undefined => {
    const parts = path.split('/').slice(1);
    for (const candidate of compiled) {
      if (candidate.route.method !== method || candidate.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      const ok = candidate.segments.every((segment, i) => {
        const part = parts[i] ?? '';
        if ('literal' in segment) return segment.literal === part;
        if (part === '') return false;
        params[segment.param] = part;
        return true;
      });
      if (ok) {
        return {
          route: candidate.route,
          pathParameters: Object.keys(params).length > 0 ? params : undefined,
        };
      }
    }
    return undefined;
  };

  return {
    routes,
    match: (method, path) => matchWith(method, path) ?? matchWith('ANY', path),
  };
};

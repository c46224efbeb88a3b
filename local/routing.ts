/**
 * Route matching like API Gateway HTTP API: `{param}` segments match one
 * non-empty segment, literal segments beat parameters, a route with the exact
 * method beats an `ANY` route of the same path (how the 405 fallback is
 * wired, as in AWS), a greedy `{name+}` last segment matches one or more
 * segments after every other route, and an unmatched method+path is a 404.
 */

export interface RouteLike {
  method: string;
  path: string;
}

/** `{name+}` (last segment only): one or more segments, as API Gateway's greedy path variable. */
type Segment = { literal: string } | { param: string } | { greedy: string };

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
const GREEDY = /^\{([A-Za-z_][A-Za-z0-9_]*)\+\}$/;

const compile = <R extends RouteLike>(route: R): CompiledRoute<R> => {
  if (!route.path.startsWith('/')) throw new Error(`Route path must start with "/": ${route.path}`);
  const names = new Set<string>();
  const segments = route.path
    .split('/')
    .slice(1)
    .map((part, i, all): Segment => {
      const greedy = GREEDY.exec(part)?.[1];
      if (greedy) {
        if (i !== all.length - 1) throw new Error(`{${greedy}+} must be the last segment of ${route.path}`);
        return { greedy };
      }
      const param = PARAM.exec(part)?.[1];
      if (param) {
        if (names.has(param)) throw new Error(`Duplicate path parameter {${param}} in ${route.path}`);
        names.add(param);
        return { param };
      }
      if (/[{}]/.test(part)) throw new Error(`Unsupported path segment "${part}" in ${route.path}`);
      return { literal: part };
    });
  const rank = (s: Segment) => ('literal' in s ? '0' : 'param' in s ? '1' : '2');
  return { route, segments, specificity: segments.map(rank).join('') };
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
      if (candidate.route.method !== method) continue;
      const last = candidate.segments.at(-1);
      const greedy = last !== undefined && 'greedy' in last;
      if (greedy ? parts.length < candidate.segments.length : parts.length !== candidate.segments.length)
        continue;
      const params: Record<string, string> = {};
      const ok = candidate.segments.every((segment, i) => {
        const part = parts[i] ?? '';
        if ('literal' in segment) return segment.literal === part;
        if ('greedy' in segment) {
          const rest = parts.slice(i).join('/');
          params[segment.greedy] = rest;
          return rest !== '';
        }
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

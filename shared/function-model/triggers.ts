/**
 * The triggers of the declared functions, in the shapes the CDK stack and the
 * local stack wire: HTTP routes, EventBridge rules (one per event function,
 * its pattern built from the events it handles) and schedules.
 */
import type {
  EventFunctionDeclaration,
  FunctionDeclaration,
  HttpFunctionDeclaration,
  MethodFallbackDeclaration,
  Role,
  ScheduledFunctionDeclaration,
  StreamFunctionDeclaration,
} from './declaration.ts';

export interface EventPattern {
  source: string[];
  'detail-type': string[];
}

export interface RuleDefinition {
  name: string;
  pattern: EventPattern;
  /** The function the rule delivers to. */
  target: string;
  /** The account's default bus (AWS services' events); absent: the service's bus. */
  bus?: 'default';
}

export interface ScheduleDefinition {
  name: string;
  /** Minutes between runs in AWS (a timer in the local stack). */
  everyMinutes: number;
  target: string;
}

export const httpRoutes = (declarations: readonly FunctionDeclaration[]): HttpFunctionDeclaration[] =>
  declarations.filter((d): d is HttpFunctionDeclaration => d.trigger === 'http');

/** What the route table needs of a route. */
type RouteShape = Pick<HttpFunctionDeclaration, 'method' | 'path' | 'role'>;

/** Whether a concrete path is one a route template serves (`{param}`: one non-empty segment). */
export const templateMatches = (template: string, path: string): boolean => {
  const a = template.split('/');
  const b = path.split('/');
  return a.length === b.length && a.every((part, i) => (part.startsWith('{') ? b[i] !== '' : part === b[i]));
};

/** The methods the routes serve on a concrete path (sorted), what a 405's `Allow` lists; [] when none. */
export const allowedMethods = (routes: readonly RouteShape[], path: string): string[] =>
  [...new Set(routes.filter((r) => templateMatches(r.path, path)).map((r) => r.method))].sort();

/**
 * The greedy fallback route of each role (`/v1/patient/{proxy+}`, `/v1/practitioner/{proxy+}`): API
 * Gateway prefers any route with the exact method and path, so it catches what no route serves — a
 * known path with another method, or an unknown path — behind the role's authorizer. Every route of
 * a role must share the prefix (its first two segments), or this throws.
 */
export const fallbackRoutes = (
  routes: readonly RouteShape[],
): Array<{ readonly path: string; readonly role: Role }> => {
  const prefixByRole = new Map<Role, string>();
  for (const route of routes) {
    const prefix = route.path.split('/').slice(0, 3).join('/');
    const known = prefixByRole.get(route.role);
    if (known !== undefined && known !== prefix) {
      throw new Error(`${route.role} routes under two prefixes (${known}, ${prefix}): one fallback each`);
    }
    prefixByRole.set(route.role, prefix);
  }
  return [...prefixByRole].map(([role, prefix]) => ({ path: `${prefix}/{proxy+}`, role }));
};

export const methodFallback = (
  declarations: readonly FunctionDeclaration[],
): MethodFallbackDeclaration | undefined =>
  declarations.find((d): d is MethodFallbackDeclaration => d.trigger === 'method-fallback');

/** One rule per event function; its events must all come from one source (else the pattern would over-match). */
export const eventRules = (declarations: readonly FunctionDeclaration[]): RuleDefinition[] =>
  declarations
    .filter((d): d is EventFunctionDeclaration => d.trigger === 'event')
    .map(({ name, rule }): RuleDefinition => {
      const sources = [...new Set(rule.events.map((event) => event.source))];
      if (sources.length !== 1) {
        throw new Error(`Rule ${rule.name} of ${name} mixes event sources (${sources.join(', ')}): split it`);
      }
      return {
        name: rule.name,
        pattern: { source: sources, 'detail-type': rule.events.map((event) => event.detailType) },
        target: name,
        ...(rule.bus === 'default' && { bus: 'default' as const }),
      };
    });

/** The functions fed by the table's stream, with their event source mapping settings. */
export const streamConsumers = (declarations: readonly FunctionDeclaration[]) =>
  declarations
    .filter((d): d is StreamFunctionDeclaration => d.trigger === 'stream')
    .map(({ name, stream }) => ({ name, settings: stream }));

export const schedules = (declarations: readonly FunctionDeclaration[]): ScheduleDefinition[] =>
  declarations
    .filter((d): d is ScheduledFunctionDeclaration => d.trigger === 'schedule')
    .map(({ name, schedule }) => ({
      name: schedule.name,
      everyMinutes: schedule.everyMinutes,
      target: name,
    }));

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
}

export interface ScheduleDefinition {
  name: string;
  /** Minutes between runs in AWS (a timer in the local stack). */
  everyMinutes: number;
  target: string;
}

export const httpRoutes = (declarations: readonly FunctionDeclaration[]): HttpFunctionDeclaration[] =>
  declarations.filter((d): d is HttpFunctionDeclaration => d.trigger === 'http');

/** A path template with the methods its routes serve (sorted) and the role they all share. */
export interface PathMethods {
  readonly path: string;
  readonly methods: readonly string[];
  readonly role: Role;
}

/** Every routed path with its methods: what a 405's `Allow` lists. One role per path, or this throws. */
export const pathMethods = (declarations: readonly FunctionDeclaration[]): PathMethods[] => {
  const byPath = new Map<string, { methods: string[]; role: Role }>();
  for (const route of httpRoutes(declarations)) {
    const entry = byPath.get(route.path) ?? { methods: [], role: route.role };
    if (entry.role !== route.role) throw new Error(`${route.path} has routes for two roles: split the path`);
    entry.methods.push(route.method);
    byPath.set(route.path, entry);
  }
  return [...byPath].map(([path, { methods, role }]) => ({ path, methods: methods.sort(), role }));
};

export const methodFallback = (
  declarations: readonly FunctionDeclaration[],
): MethodFallbackDeclaration | undefined =>
  declarations.find((d): d is MethodFallbackDeclaration => d.trigger === 'method-fallback');

/** One rule per event function; its events must all come from one source (else the pattern would over-match). */
export const eventRules = (declarations: readonly FunctionDeclaration[]): RuleDefinition[] =>
  declarations
    .filter((d): d is EventFunctionDeclaration => d.trigger === 'event')
    .map(({ name, rule }) => {
      const sources = [...new Set(rule.events.map((event) => event.source))];
      if (sources.length !== 1) {
        throw new Error(`Rule ${rule.name} of ${name} mixes event sources (${sources.join(', ')}): split it`);
      }
      return {
        name: rule.name,
        pattern: { source: sources, 'detail-type': rule.events.map((event) => event.detailType) },
        target: name,
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

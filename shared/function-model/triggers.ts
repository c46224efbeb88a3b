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
  RuleBucket,
  ScheduledFunctionDeclaration,
  StreamFunctionDeclaration,
} from './declaration.ts';

export interface EventPattern {
  source: string[];
  'detail-type': string[];
  /** Fields of the detail to match (EventBridge pattern syntax): the bucket of an S3 object's events. */
  detail?: Record<string, unknown>;
}

/** A rule limited to the objects of one of our buckets: where its events name the bucket and key. */
export interface RuleObjects {
  bucket: RuleBucket;
  keyPrefix: string;
  bucketNamePath: readonly string[];
  objectKeyPath: readonly string[];
}

export interface RuleDefinition {
  name: string;
  pattern: EventPattern;
  /** The function the rule delivers to. */
  target: string;
  /** The account's default bus (AWS services' events); absent: the service's bus. */
  bus?: 'default';
  /** Only the objects of this bucket: `pattern` gets its detail from resolveRule, given the bucket's name. */
  objects?: RuleObjects;
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

/** Where a rule's events all name their S3 object (one place for all: one detail pattern). */
const objectsOf = (name: string, rule: EventFunctionDeclaration['rule']): RuleObjects | undefined => {
  if (!rule.objects) return undefined;
  const paths = [...new Set(rule.events.map((event) => JSON.stringify(event.s3Object ?? null)))];
  const [first] = rule.events;
  if (paths.length !== 1 || !first?.s3Object) {
    throw new Error(
      `Rule ${rule.name} of ${name} is limited to a bucket: its events must name S3 objects alike`,
    );
  }
  return {
    bucket: rule.objects.bucket,
    keyPrefix: rule.objects.keyPrefix,
    bucketNamePath: first.s3Object.bucketName,
    objectKeyPath: first.s3Object.objectKey,
  };
};

/**
 * One rule per event function; its events must all come from one source (else the pattern would
 * over-match). A rule limited to a bucket's objects gets its detail pattern from resolveRule.
 */
export const eventRules = (declarations: readonly FunctionDeclaration[]): RuleDefinition[] =>
  declarations
    .filter((d): d is EventFunctionDeclaration => d.trigger === 'event')
    .map(({ name, rule }): RuleDefinition => {
      const sources = [...new Set(rule.events.map((event) => event.source))];
      if (sources.length !== 1) {
        throw new Error(`Rule ${rule.name} of ${name} mixes event sources (${sources.join(', ')}): split it`);
      }
      const objects = objectsOf(name, rule);
      return {
        name: rule.name,
        pattern: { source: sources, 'detail-type': rule.events.map((event) => event.detailType) },
        target: name,
        ...(rule.bus === 'default' && { bus: 'default' as const }),
        ...(objects && { objects }),
      };
    });

/** `{a: {b: value}}` from the path `['a', 'b']`. */
const nested = (path: readonly string[], value: unknown): Record<string, unknown> =>
  path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value) as Record<string, unknown>;

/** Two nested objects merged (the bucket and the key may share a parent, as in GuardDuty's detail). */
const merged = (a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> => {
  const out: Record<string, unknown> = { ...a };
  for (const [key, value] of Object.entries(b)) {
    const mine = out[key];
    out[key] =
      mine && typeof mine === 'object' && !Array.isArray(mine) && typeof value === 'object'
        ? merged(mine as Record<string, unknown>, value as Record<string, unknown>)
        : value;
  }
  return out;
};

/**
 * The rule as a stack deploys it: one limited to a bucket's objects matches that bucket by name and
 * the key by prefix (`detail`); the default bus carries every bucket's S3 and GuardDuty events, so
 * without it another bucket's upload would reach the attachment checks. Each stack (CDK, local) gives
 * its buckets' names: there is no deployable pattern without them.
 */
export const resolveRule = (
  rule: RuleDefinition,
  buckets: Readonly<Record<RuleBucket, string>>,
): RuleDefinition => {
  if (!rule.objects) return rule;
  const { bucket, keyPrefix, bucketNamePath, objectKeyPath } = rule.objects;
  const detail = merged(
    nested(bucketNamePath, [buckets[bucket]]),
    nested(objectKeyPath, [{ prefix: keyPrefix }]),
  );
  return { ...rule, pattern: { ...rule.pattern, detail } };
};

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

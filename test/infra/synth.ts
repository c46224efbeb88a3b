/**
 * Shared synthesis for the infra tests: the real app wiring (createPatientMessaging), the cdk.json
 * context, the nag packs as infra/app.ts registers them, and bundling skipped so the tests never run
 * esbuild and do not depend on handler files.
 *
 * A synthesis costs seconds of CPU, so the test files share two of them (`shared('dev' | 'prod')`,
 * memoized: the infra vitest project runs with isolate: false, so files share this module):
 * - dev: the declared functions (functions/catalog.ts) in the dev stage;
 * - prod: the same in the prod stage, with a senderAddress from context, i.e. what deploys.
 *
 * Each synthesis exposes the Template of every stack (`templates.stateful | api | events | realtime |
 * monitoring`, the routes stacks' in `routesTemplates`, any of them through `templateOf`); the routes
 * stacks come from infra/route-areas.ts (`ROUTES_STACKS`, `routesStackOf`); `functionLocation` says in
 * which template, and under which construct path, a declared function lives.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { FUNCTIONS } from '../../functions/catalog.ts';
import { addNagChecks } from '../../infra/nag.ts';
import { REPO_ROOT } from '../../infra/paths.ts';
import { createPatientMessaging, type PatientMessagingStacks } from '../../infra/patient-messaging-app.ts';
import { areaGroupOf, planRoutesStacks, routesStackName } from '../../infra/route-areas.ts';
import {
  type FunctionDeclaration,
  type HttpFunctionDeclaration,
  isRealtime,
  type Role,
} from '../../shared/function-model/declaration.ts';
import { eventRules, httpRoutes, schedules as schedulesOf } from '../../shared/function-model/triggers.ts';

/** The real functions, as the stacks deploy them (functions/catalog.ts). */
export const ROUTES = httpRoutes(FUNCTIONS);
export const RULES = eventRules(FUNCTIONS.filter((f) => !isRealtime(f)));
/** The Realtime stack's rules (its notifier's), on the same bus. */
export const REALTIME_RULES = eventRules(FUNCTIONS.filter(isRealtime));
export const SCHEDULES = schedulesOf(FUNCTIONS);
/** Route functions (one per route, in the routes stacks) and the fallback of what no route serves (405/404, Api stack). */
export const API_FUNCTIONS = FUNCTIONS.filter(
  (f) => f.trigger === 'http' || f.trigger === 'method-fallback',
).map((f) => f.name);
/** The event and scheduled functions of the Events stack (each with its DLQ). */
export const CONSUMERS = FUNCTIONS.filter(
  (f) => f.trigger !== 'http' && f.trigger !== 'method-fallback' && !isRealtime(f),
).map((f) => f.name);
/** Functions of the Realtime stack: the WebSocket authorizer and routes (under /Functions), the notifier (/Consumers). */
export const REALTIME_FUNCTIONS = FUNCTIONS.filter(isRealtime).map((f) => f.name);

export interface SynthOptions {
  readonly stage?: 'dev' | 'prod';
  readonly functions?: readonly FunctionDeclaration[];
  readonly nag?: boolean;
  readonly context?: Record<string, unknown>;
}

/** Synthesis is CPU-bound (several seconds on a busy 2-core runner): hooks that synthesize get this timeout. */
export const SYNTH_TIMEOUT = 120_000;

/** The stacks that are not routes stacks, by key (PatientMessaging-<stage>-Stateful | -Api | -Events | …). */
export type FixedStackKey = 'stateful' | 'api' | 'events' | 'realtime' | 'monitoring';
/** A routes stack, by its name's suffix (routesStackName: `PractitionerRoutes`, `PractitionerOutreachRoutes`, …). */
export type RoutesStackKey = `${Capitalize<Role>}${string}Routes`;
export type StackKey = FixedStackKey | RoutesStackKey;

/** The routes stacks of the real catalog, as infra/route-areas.ts plans them (per role, by area group). */
export const ROUTES_STACK_PLANS = planRoutesStacks(ROUTES);
export const ROUTES_STACKS = ROUTES_STACK_PLANS.map((plan) => plan.name as RoutesStackKey);
/** The routes stack that holds a declared route (its role's, by its area's group). */
export const routesStackOf = (
  route: Pick<HttpFunctionDeclaration, 'name' | 'path' | 'role'>,
): RoutesStackKey => routesStackName(route.role, areaGroupOf(route)) as RoutesStackKey;
/** The stacks of a stage: Stateful, Api, the routes stacks, Events, Realtime, Monitoring. */
export const STACK_KEYS: readonly StackKey[] = [
  'stateful',
  'api',
  ...ROUTES_STACKS,
  'events',
  'realtime',
  'monitoring',
];
/** The stacks of the HTTP API: the API itself and its routes (the WebSocket API is the Realtime stack's). */
export const HTTP_API_STACKS: readonly StackKey[] = ['api', ...ROUTES_STACKS];
/** The stacks that hold Lambda functions: the fallback (Api), the routes (per role and area), the consumers (Events), the WebSocket side (Realtime). */
export const FUNCTION_STACKS: readonly StackKey[] = ['api', ...ROUTES_STACKS, 'events', 'realtime'];

export interface Synthesized extends PatientMessagingStacks {
  readonly app: App;
  /** The templates of the stacks that are not routes stacks; any stack's: templateOf. */
  readonly templates: Readonly<Record<FixedStackKey, Template>>;
  /** The routes stacks' templates, by key (routesStackOf, ROUTES_STACKS). */
  readonly routesTemplates: ReadonlyMap<string, Template>;
  readonly assemblyDirectory: string;
}

const cdkJsonContext = (): Record<string, unknown> =>
  JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')).context ?? {};

export const synth = (options: SynthOptions = {}): Synthesized => {
  const app = new App({
    // CDK's built-in CloudFormation schema validation is half of a synthesis' CPU time; `cdk synth` runs it.
    builtinCloudFormationValidation: false,
    context: {
      ...cdkJsonContext(),
      ...options.context,
      'aws:cdk:bundling-stacks': [],
      // What the CLI sets: templates carry aws:cdk:path, which the tests use to find resources.
      'aws:cdk:enable-path-metadata': true,
    },
  });
  const stacks = createPatientMessaging(app, {
    stage: options.stage ?? 'dev',
    ...(options.functions && { functions: options.functions }),
  });
  if (options.nag) addNagChecks(app);
  const assembly = app.synth();
  const prefix = `${stacks.api.stackName.slice(0, -'Api'.length)}`;
  return {
    app,
    ...stacks,
    templates: {
      stateful: Template.fromStack(stacks.stateful),
      api: Template.fromStack(stacks.api),
      events: Template.fromStack(stacks.events),
      realtime: Template.fromStack(stacks.realtime),
      monitoring: Template.fromStack(stacks.monitoring),
    },
    routesTemplates: new Map(
      stacks.routes.map((stack) => [stack.stackName.slice(prefix.length), Template.fromStack(stack)]),
    ),
    assemblyDirectory: assembly.directory,
  };
};

/** The template of any stack of a synthesis (a routes stack that was not made fails here). */
export const templateOf = (s: Synthesized, key: StackKey): Template => {
  if (key in s.templates) return s.templates[key as FixedStackKey];
  const template = s.routesTemplates.get(key);
  if (!template) throw new Error(`No ${key} stack in this synthesis`);
  return template;
};

export const SENDER_FROM_CONTEXT = 'notifications@cabinet.example.fr';

const sharedOptions: Record<'dev' | 'prod', SynthOptions> = {
  dev: { stage: 'dev', nag: true },
  prod: { stage: 'prod', nag: true, context: { senderAddress: SENDER_FROM_CONTEXT } },
};
const cache: Partial<Record<'dev' | 'prod', Synthesized>> = {};

/** The shared, memoized synthesis of a stage (see the top of this file). */
export const shared = (stage: 'dev' | 'prod'): Synthesized => {
  cache[stage] ??= synth(sharedOptions[stage]);
  return cache[stage];
};

/** Template JSON as the tests read it: untyped like the template itself; the assertions check its shape. */
// biome-ignore lint/suspicious/noExplicitAny: see above.
export type Json = any;

export type CfnResource = {
  Type: string;
  Properties?: Json;
  Metadata?: Record<string, unknown>;
  [key: string]: Json;
};

/** Resources whose construct path ends with `suffix` (e.g. "/Routes/patient-write/Function/Resource"). */
export const findByPath = (template: Template, suffix: string): [string, CfnResource][] => {
  const resources = template.toJSON().Resources as Record<string, CfnResource>;
  return Object.entries(resources).filter(([, r]) =>
    String(r.Metadata?.['aws:cdk:path'] ?? '').endsWith(suffix),
  );
};

export const oneByPath = (template: Template, suffix: string): [string, CfnResource] => {
  const found = findByPath(template, suffix);
  if (found.length !== 1) throw new Error(`Expected one resource at *${suffix}, found ${found.length}`);
  return found[0] as [string, CfnResource];
};

export const resourcesOfType = (template: Template, type: string): [string, CfnResource][] =>
  Object.entries(template.findResources(type)) as [string, CfnResource][];

/** Resources of a type in several stacks (default: the function stacks), with the template and stack each is in. */
export const resourcesIn = (
  s: Synthesized,
  type: string,
  keys: readonly StackKey[] = FUNCTION_STACKS,
): [string, CfnResource, Template, StackKey][] =>
  keys.flatMap((key) =>
    resourcesOfType(templateOf(s, key), type).map(
      ([id, r]) => [id, r, templateOf(s, key), key] as [string, CfnResource, Template, StackKey],
    ),
  );

/**
 * The stack of a declared function: a route's in the routes stack of its role and area, the 405 fallback in the
 * Api stack (both under /Routes), consumers in the Events stack, the WebSocket side in Realtime.
 */
export const functionStack = (name: string): StackKey => {
  const declaration = FUNCTIONS.find((f) => f.name === name);
  if (!declaration) throw new Error(`No declared function ${name}`);
  if (isRealtime(declaration)) return 'realtime';
  if (declaration.trigger === 'http') return routesStackOf(declaration);
  return declaration.trigger === 'method-fallback' ? 'api' : 'events';
};

/** A declared function's construct path prefix, e.g. "/Routes/patient-write" or "/Consumers/notify-patient/Handler". */
export const functionScope = (name: string): string => {
  const stack = functionStack(name);
  if (stack === 'realtime') {
    const consumer = FUNCTIONS.find((f) => f.name === name)?.trigger === 'event';
    return consumer ? `/Consumers/${name}/Handler` : `/Functions/${name}`;
  }
  return stack === 'events' ? `/Consumers/${name}/Handler` : `/Routes/${name}`;
};

/** Where a declared function lives: its stack's template (functionStack) and its construct path prefix. */
export const functionLocation = (s: Synthesized, name: string): { template: Template; scope: string } => ({
  template: templateOf(s, functionStack(name)),
  scope: functionScope(name),
});

export type Statement = {
  Effect: string;
  Action: string | string[];
  Resource: Json;
  Condition?: Json;
  Sid?: string;
};

export const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** Statements of the default policy of a function's role, by the function's construct path prefix. */
export const roleStatements = (template: Template, functionScope: string): Statement[] => {
  const [, policy] = oneByPath(template, `${functionScope}/Role/DefaultPolicy/Resource`);
  return policy.Properties.PolicyDocument.Statement as Statement[];
};

export const actionsOf = (statements: Statement[]): Set<string> =>
  new Set(statements.filter((s) => s.Effect === 'Allow').flatMap((s) => asArray(s.Action)));

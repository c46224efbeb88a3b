/**
 * Just enough of IAM's policy evaluation to decide, locally, what AWS would
 * decide for a function's identity policy: an explicit Deny wins, then any
 * Allow whose action, resource and conditions all match; otherwise the request
 * is implicitly denied. Used by local/iam-enforcement.ts with the statements of
 * shared/function-model/permissions.ts. Unknown condition operators throw: a policy
 * this module cannot evaluate must not be silently allowed.
 */
import type { PolicyStatement } from './permissions.ts';

export interface AuthorizationRequest {
  /** e.g. `dynamodb:PutItem` */
  readonly action: string;
  /** The ARN the action is on. */
  readonly resource: string;
  /** Condition keys of the request, e.g. `dynamodb:LeadingKeys` → [`PRAC#dr-1`]. */
  readonly context?: Readonly<Record<string, readonly string[]>>;
}

export type Decision = 'allowed' | 'explicitDeny' | 'implicitDeny';

/** IAM wildcards: `*` any run of characters, `?` one character; the rest literal. */
const compileWildcard = (pattern: string, caseInsensitive: boolean): RegExp =>
  new RegExp(
    `^${pattern
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('')}$`,
    caseInsensitive ? 'is' : 's',
  );

// Policies hold a few dozen patterns, evaluated on every local SDK call: compiled once each.
const compiled = new Map<string, RegExp>();
const wildcard = (pattern: string, caseInsensitive = false): RegExp => {
  const key = `${caseInsensitive ? 'i' : 's'}:${pattern}`;
  let regex = compiled.get(key);
  if (!regex) {
    regex = compileWildcard(pattern, caseInsensitive);
    compiled.set(key, regex);
  }
  return regex;
};

const matchesAny = (value: string, patterns: readonly string[], caseInsensitive = false) =>
  patterns.some((pattern) => wildcard(pattern, caseInsensitive).test(value));

type Test = (value: string, policyValues: readonly string[]) => boolean;

const TESTS: Record<string, Test> = {
  StringEquals: (value, policy) => policy.includes(value),
  StringLike: (value, policy) => matchesAny(value, policy),
};

/** One condition operator (possibly with a set qualifier) on one key. */
const conditionHolds = (
  operator: string,
  policyValues: readonly string[],
  requestValues: readonly string[] | undefined,
): boolean => {
  const [qualifier, base] = operator.includes(':') ? operator.split(':') : [undefined, operator];
  const test = base ? TESTS[base] : undefined;
  if (!test) throw new Error(`IAM condition operator not supported locally: ${operator}`);
  const values = requestValues ?? [];
  if (qualifier === 'ForAllValues') return values.every((value) => test(value, policyValues));
  if (qualifier === 'ForAnyValue') return values.some((value) => test(value, policyValues));
  if (qualifier !== undefined) throw new Error(`IAM condition qualifier not supported locally: ${qualifier}`);
  // A single-valued operator on a key the request does not carry is false (no IfExists here).
  return values.length > 0 && values.every((value) => test(value, policyValues));
};

const statementApplies = (statement: PolicyStatement, request: AuthorizationRequest): boolean =>
  matchesAny(request.action, statement.actions, true) &&
  matchesAny(request.resource, statement.resources) &&
  Object.entries(statement.conditions ?? {}).every(([operator, keys]) =>
    Object.entries(keys).every(([key, values]) => conditionHolds(operator, values, request.context?.[key])),
  );

export const evaluate = (statements: readonly PolicyStatement[], request: AuthorizationRequest): Decision => {
  const applicable = statements.filter((statement) => statementApplies(statement, request));
  if (applicable.some((statement) => statement.effect === 'Deny')) return 'explicitDeny';
  return applicable.some((statement) => statement.effect === 'Allow') ? 'allowed' : 'implicitDeny';
};

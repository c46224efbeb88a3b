import type { HttpFunctionDeclaration, Role } from '../shared/function-model/declaration.ts';

/**
 * Which routes stack holds a route (docs/adr/0001-stack-split.md, "Routes stacks by area").
 *
 * A route's area is the first path segment after `/v1/<role>/` (`/v1/practitioner/templates/{id}` →
 * `templates`): it comes from the declaration, so a new route needs no entry here. A role's areas live
 * in its main stack, `<Role>Routes`, unless an area group below names them: each group is a stack of its
 * own, `<Role><Group>Routes`. The rule is a fixed map, not a packing by size, so that a route added to
 * an area only grows that area's stack: no other area's routes (hence functions, which a move between
 * stacks recreates) ever change stack because of it. When a stack nears its budget
 * (test/infra/stacks.test.ts), move whole areas to a group here, on purpose (a one-time move, ADR 0001).
 */
export const AREA_GROUPS: RouteAreaGroups = {
  practitioner: {
    // Content and campaigns sent to many patients: message templates, communications, automations.
    Outreach: ['templates', 'communications', 'automations'],
    // The practice's records: its patients (allow, block, erasure), delegates (assistants), settings.
    Practice: ['patients', 'delegates', 'settings'],
  },
  // Everything else stays in the main stack: the practitioner inbox (threads, summary, stats,
  // attachments, appointments, scheduled-messages), and all patient and assistant routes.
};

/** Per role, its area groups: group name (PascalCase, part of the stack name) → the areas it holds. */
export type RouteAreaGroups = Readonly<Partial<Record<Role, Readonly<Record<string, readonly string[]>>>>>;

type RouteShape = Pick<HttpFunctionDeclaration, 'name' | 'path' | 'role'>;

/** The area of a route: the segment after `/v1/<role>/` (`threads`, `templates`, `summary`, …). */
export const routeArea = (route: RouteShape): string => {
  const prefix = `/v1/${route.role}/`;
  const area = route.path.startsWith(prefix) ? route.path.slice(prefix.length).split('/')[0] : undefined;
  if (!area || area.startsWith('{')) {
    throw new Error(
      `Route ${route.name} (${route.path}) has no area: its path must start with ${prefix}<area>`,
    );
  }
  return area;
};

/** The group of a route's area: undefined for the role's main stack. */
export const areaGroupOf = (route: RouteShape, groups: RouteAreaGroups = AREA_GROUPS): string | undefined => {
  const area = routeArea(route);
  const found = Object.entries(groups[route.role] ?? {}).filter(([, areas]) => areas.includes(area));
  if (found.length > 1) throw new Error(`Area ${route.role}/${area} is in two groups`);
  return found[0]?.[0];
};

/** A routes stack's id suffix: `PractitionerRoutes` (a role's main stack), `PractitionerOutreachRoutes`. */
export const routesStackName = (role: Role, group?: string): string => {
  if (group !== undefined && !/^[A-Z][A-Za-z]*$/.test(group)) {
    throw new Error(`Area group "${group}" of ${role}: a PascalCase word (it names the stack)`);
  }
  return `${role.charAt(0).toUpperCase()}${role.slice(1)}${group ?? ''}Routes`;
};

export interface RoutesStackPlan<R extends RouteShape = HttpFunctionDeclaration> {
  /** The stack id suffix (routesStackName). */
  readonly name: string;
  readonly role: Role;
  /** Undefined: the role's main stack. */
  readonly group: string | undefined;
  /** Its routes, in catalog order. */
  readonly routes: readonly R[];
}

/**
 * The routes stacks of an app: per role (in catalog order), its main stack, then its groups in the
 * order of AREA_GROUPS. A stack without routes is not made.
 */
export const planRoutesStacks = <R extends RouteShape>(
  routes: readonly R[],
  groups: RouteAreaGroups = AREA_GROUPS,
): RoutesStackPlan<R>[] => {
  const roles = [...new Set(routes.map((r) => r.role))];
  return roles.flatMap((role) =>
    [undefined, ...Object.keys(groups[role] ?? {})]
      .map((group) => ({
        name: routesStackName(role, group),
        role,
        group,
        routes: routes.filter((r) => r.role === role && areaGroupOf(r, groups) === group),
      }))
      .filter((plan) => plan.routes.length > 0),
  );
};

/**
 * What a routes stack holds, for its description. It names the group's configured areas, not the areas
 * its routes happen to have, so that adding a route (even in a new area) never changes it; a role
 * without groups keeps the description it had before the split by area.
 */
export const routesStackContents = (
  plan: Pick<RoutesStackPlan, 'role' | 'group'>,
  groups: RouteAreaGroups = AREA_GROUPS,
): string => {
  const paths = `/v1/${plan.role}/…`;
  if (plan.group !== undefined) {
    return `the ${plan.role} routes of the areas ${groups[plan.role]?.[plan.group]?.join(', ')} (${paths})`;
  }
  const grouped = Object.keys(groups[plan.role] ?? {});
  return grouped.length === 0
    ? `the ${plan.role} routes (${paths})`
    : `the ${plan.role} routes (${paths}) outside the area groups ${grouped.join(', ')}`;
};

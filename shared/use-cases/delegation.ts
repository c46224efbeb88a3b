/**
 * Practice teams (SPEC 11.2, docs/adr/0015-practice-teams.md): a practitioner
 * delegates scopes of their inbox to assistants, who list whom they work for.
 * The grant check of every practitioner route is in shared/http/route.ts.
 */
import type { PageRequest } from '../db/query-page.ts';
import { NotFound } from '../domain/errors.ts';
import type { DelegateGrant, DelegateGrantData } from '../repositories/delegate-repository.ts';
import { addTo, removeFrom, withRelease } from '../repositories/quota-repository.ts';
import type { Deps, PractitionerActor } from './deps.ts';

export const delegateView = (grant: DelegateGrant) => ({
  assistantId: grant.assistantId,
  displayName: grant.displayName,
  scopes: grant.scopes,
  notify: grant.notify,
  createdAt: grant.createdAt,
  updatedAt: grant.updatedAt,
});

export const assistantPractitionerView = (grant: DelegateGrant) => ({
  practitionerId: grant.practitionerId,
  displayName: grant.displayName,
  scopes: grant.scopes,
  notify: grant.notify,
});

export const listDelegates = async (
  deps: Pick<Deps, 'delegates'>,
  actor: PractitionerActor,
  page: PageRequest,
) => {
  const { items, nextCursor } = await deps.delegates.listByPractitioner(actor.practitionerId, page);
  return { items: items.map(delegateView), nextCursor };
};

/**
 * Grants or replaces (a PUT): `created` tells the handler 201 from 200. A new
 * delegate counts against `delegatesPerPractitioner` (429 QUOTA_EXCEEDED, ADR 0011).
 */
export const putDelegate = async (
  deps: Pick<Deps, 'delegates' | 'clock' | 'quotas'>,
  actor: PractitionerActor,
  assistantId: string,
  data: DelegateGrantData,
) => {
  const { grant, created } = await deps.delegates.put(
    actor.practitionerId,
    assistantId,
    data,
    deps.clock.now().toISOString(),
    [addTo(deps.quotas, actor.practitionerId, 'delegatesPerPractitioner')],
  );
  return { delegate: delegateView(grant), created };
};

/** Revokes: the assistant's next request on behalf of the practitioner is refused (consistent read). */
export const removeDelegate = async (
  deps: Pick<Deps, 'delegates' | 'quotas'>,
  actor: PractitionerActor,
  assistantId: string,
): Promise<void> => {
  // A grant from before the quota has no count to release: it is revoked all the same.
  const removed = await withRelease(
    removeFrom(deps.quotas, actor.practitionerId, 'delegatesPerPractitioner'),
    (release) => deps.delegates.remove(actor.practitionerId, assistantId, release),
  );
  if (!removed) throw new NotFound('Delegate');
};

export const listPractitionersOfAssistant = async (
  deps: Pick<Deps, 'delegates'>,
  assistantId: string,
  page: PageRequest,
) => {
  const { items, nextCursor } = await deps.delegates.listByAssistant(assistantId, page);
  return { items: items.map(assistantPractitionerView), nextCursor };
};

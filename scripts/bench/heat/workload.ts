/**
 * The realistic mix of bench:heat, over HTTP against the local stack (the real
 * routes, and through them the outbox, the bus and every consumer):
 *
 *   a conversation = a patient request (sometimes a follow-up message in it);
 *   sometimes an appointment booked and completed by the agenda (POST /local/events:
 *   the practitioner's automation answers, at once or through due work);
 *   after a delay (the practitioner's backlog: untreated messages pile up, so
 *   practitioners cross their digest threshold as they do in real life) the
 *   practitioner looks at their summary and untreated inbox, views the thread,
 *   reads it, replies and treats (or replies marking treated, or only treats);
 *   the patient reads the reply; sometimes the practitioner schedules a deferred
 *   message (sendAt two minutes ahead on the local clock).
 *
 * Conversations start at a fixed pace (patient messages per second) on a patient
 * who has none running; everything else is the service's own machinery.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface Population {
  practitioners: string[];
  /** Patients of each practitioner (same index). */
  patients: string[][];
}

export interface WorkloadOptions {
  apiUrl: string;
  token: (sub: string, role: 'practitioner' | 'patient') => Promise<string>;
  population: Population;
  /** Patient messages per second to drive (requests + follow-ups). */
  rate: number;
  seconds: number;
  /** Mean delay before the practitioner handles a conversation (their backlog), seconds. */
  treatDelaySeconds: number;
  followUpShare: number;
  appointmentShare: number;
  deferredShare: number;
  /** The stack's local time (sendAt, appointment times). */
  localNow: () => Date;
  /** Whether patient messages sent now count in the measured window. */
  measuring: () => boolean;
  random?: () => number;
}

export interface WorkloadResult {
  conversations: number;
  /** Patient messages accepted (201) while measuring. */
  patientMessages: number;
  /** Per route label: answers by status. */
  answers: Map<string, Map<number, number>>;
}

const REQUEST =
  'Bonjour docteur, depuis hier j’ai une douleur au genou après la course, dois-je venir consulter ?';
const FOLLOW_UP = 'Je précise : pas de gonflement, mais la douleur revient à la montée des escaliers.';
const REPLY =
  'Bonjour, reposez-vous 48 h et appliquez du froid ; si la douleur persiste, prenez rendez-vous.';
const DEFERRED = 'Bonjour, comment va votre genou ? N’hésitez pas à me donner des nouvelles.';

type Json = Record<string, unknown>;

export const runWorkload = async (options: WorkloadOptions): Promise<WorkloadResult> => {
  const random = options.random ?? Math.random;
  const { population } = options;
  const answers = new Map<string, Map<number, number>>();
  const tokens = new Map<string, Promise<string>>();
  const tokenOf = (sub: string, role: 'practitioner' | 'patient') => {
    let token = tokens.get(sub);
    if (!token) {
      token = options.token(sub, role);
      tokens.set(sub, token);
    }
    return token;
  };

  const call = async (
    label: string,
    method: string,
    path: string,
    as: { sub: string; role: 'practitioner' | 'patient' },
    body?: unknown,
  ): Promise<{ status: number; body: Json | null }> => {
    const res = await fetch(`${options.apiUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${await tokenOf(as.sub, as.role)}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    const byStatus = answers.get(label) ?? new Map<number, number>();
    byStatus.set(res.status, (byStatus.get(res.status) ?? 0) + 1);
    answers.set(label, byStatus);
    let parsed: Json | null = null;
    try {
      parsed = text ? (JSON.parse(text) as Json) : null;
    } catch {
      parsed = null;
    }
    return { status: res.status, body: parsed };
  };

  const agenda = async (detailType: string, detail: Json) => {
    const res = await fetch(`${options.apiUrl}/local/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ Source: 'agenda', DetailType: detailType, Detail: detail }),
    });
    await res.text();
    const byStatus = answers.get(`agenda ${detailType}`) ?? new Map<number, number>();
    byStatus.set(res.status, (byStatus.get(res.status) ?? 0) + 1);
    answers.set(`agenda ${detailType}`, byStatus);
  };

  let patientMessages = 0;
  let conversations = 0;
  let appointments = 0;
  const countMessage = () => {
    if (options.measuring()) patientMessages += 1;
  };
  const inIso = (ms: number) => new Date(options.localNow().getTime() + ms).toISOString();

  const conversation = async (p: number, patientId: string) => {
    const practitionerId = population.practitioners[p] as string;
    const dr = { sub: practitionerId, role: 'practitioner' as const };
    const pat = { sub: patientId, role: 'patient' as const };
    const started = await call('patient request', 'POST', '/v1/patient/threads', pat, {
      practitionerId,
      body: REQUEST,
    });
    if (started.status !== 201) return;
    countMessage();
    const threadId = String((started.body?.thread as Json | undefined)?.id);
    if (random() < options.followUpShare) {
      await sleep(random() * 2000);
      const more = await call('patient write', 'POST', `/v1/patient/threads/${threadId}/messages`, pat, {
        body: FOLLOW_UP,
      });
      if (more.status === 201) countMessage();
    }
    if (random() < options.appointmentShare) {
      // The agenda books a consultation and, once over, completes it: the automation writes.
      const appointmentId = `appt-heat-${++appointments}`;
      await agenda('AppointmentBooked', {
        appointmentId,
        practitionerId,
        patientId,
        startsAt: inIso(-30 * 60_000),
        motive: 'Suivi',
        patient: { firstName: 'Camille', lastName: 'Durand', email: `${patientId}@example.org` },
      });
      await agenda('AppointmentCompleted', {
        appointmentId,
        practitionerId,
        patientId,
        completedAt: inIso(0),
      });
    }
    // The practitioner's backlog: they come to it later.
    await sleep(random() * 2 * options.treatDelaySeconds * 1000);
    await call('practitioner summary', 'GET', '/v1/practitioner/summary', dr);
    await call('inbox page (untreated)', 'GET', '/v1/practitioner/threads?filter=untreated&limit=20', dr);
    const view = await call('thread view', 'GET', `/v1/practitioner/threads/${threadId}`, dr);
    await call('practitioner read', 'POST', `/v1/practitioner/threads/${threadId}/read`, dr);
    const seen = ((view.body?.messages as Json[] | undefined) ?? [])
      .map((m) => String(m.id))
      .sort()
      .at(-1);
    const choice = random();
    let replied = false;
    if (choice < 0.2 && seen) {
      const res = await call(
        'reply marking treated',
        'POST',
        `/v1/practitioner/threads/${threadId}/messages`,
        dr,
        {
          body: REPLY,
          markTreated: true,
          lastSeenMessageId: seen,
        },
      );
      replied = res.status === 201;
    } else {
      if (choice < 0.6) {
        const res = await call('reply', 'POST', `/v1/practitioner/threads/${threadId}/messages`, dr, {
          body: REPLY,
          replyPolicy: 'single',
        });
        replied = res.status === 201;
      }
      await call('treat', 'POST', `/v1/practitioner/threads/${threadId}/treat`, dr, {});
    }
    if (replied) {
      await sleep(random() * 2000);
      await call('patient summary', 'GET', '/v1/patient/summary', pat);
      await call('patient thread view', 'GET', `/v1/patient/threads/${threadId}`, pat);
      await call('patient read', 'POST', `/v1/patient/threads/${threadId}/read`, pat);
    }
    if (random() < options.deferredShare) {
      await call('deferred message', 'POST', '/v1/practitioner/threads', dr, {
        patientId,
        body: DEFERRED,
        sendAt: inIso(2 * 60_000),
      });
    }
  };

  const busy = new Set<string>();
  const running = new Set<Promise<void>>();
  const perConversation = 1 + options.followUpShare;
  const interval = (1000 * perConversation) / options.rate;
  const startedAt = performance.now();
  let next = startedAt;
  while (performance.now() - startedAt < options.seconds * 1000) {
    const p = Math.floor(random() * population.practitioners.length);
    const free = (population.patients[p] ?? []).filter((id) => !busy.has(id));
    const patientId = free[Math.floor(random() * free.length)];
    if (patientId) {
      busy.add(patientId);
      conversations += 1;
      const run = conversation(p, patientId)
        .catch((error: unknown) => {
          const label = `error ${(error as Error)?.name ?? 'Error'}`;
          const byStatus = answers.get(label) ?? new Map<number, number>();
          byStatus.set(0, (byStatus.get(0) ?? 0) + 1);
          answers.set(label, byStatus);
        })
        .finally(() => {
          busy.delete(patientId);
          running.delete(run);
        });
      running.add(run);
    }
    next += interval;
    const wait = next - performance.now();
    if (wait > 0) await sleep(wait);
  }
  await Promise.all(running);
  return { conversations, patientMessages, answers };
};

/**
 * Message templates (modèles) and their variables. Pure: parsing, save-time
 * validation and rendering, with French dates in the practitioner's time zone.
 * Group communications and deferred sends render through the same functions.
 *
 * Syntax: `{{ name }}` — two braces, an optional space inside, a known variable.
 * Anything else that opens `{{` or closes `}}` is refused when the template is
 * saved, so a rendered message can never show a half-filled placeholder.
 */
import { TemplateVariableMissing, TemplateVariableUnknown } from './errors.ts';

export const TEMPLATE_VARIABLES = [
  'patient.firstName',
  'patient.lastName',
  'practitioner.name',
  'appointment.date',
  'appointment.time',
  'appointment.motive',
] as const;
export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number];

export const isTemplateVariable = (name: string): name is TemplateVariable =>
  (TEMPLATE_VARIABLES as readonly string[]).includes(name);

export type TemplateSegment = { text: string } | { variable: TemplateVariable };

const OPEN = '{{';
const CLOSE = '}}';
/** The inside of a placeholder: optional spaces, a dotted name, optional spaces. */
const PLACEHOLDER_INSIDE = /^[ \t]*([A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z][A-Za-z0-9]*)*)[ \t]*$/;
/** The unclosed fragment an error names: `{{patient.firstName}` out of `{{patient.firstName}, à bientôt`. */
/** A `}}` that closes nothing, with the word it ends: `firstName}}` out of `Bonjour firstName}}`. */
const STRAY_CLOSE = /\{?[^\s{}]*\}\}$/;
const UNCLOSED = /^\{\{[ \t]*[^\s{}]*\}?/;
/** How much of a malformed fragment an error echoes back. */
const MAX_ECHO = 60;

const echo = (fragment: string) =>
  fragment.length > MAX_ECHO ? `${fragment.slice(0, MAX_ECHO)}…` : fragment;

/**
 * Splits a template body into literal text and variables. Throws
 * TemplateVariableUnknown naming the first unknown variable or malformed
 * placeholder (`{{x}`, `{{}}`, a lone `}}`, `{{{x}}}`).
 */
export const parseTemplate = (body: string): TemplateSegment[] => {
  const segments: TemplateSegment[] = [];
  let rest = body;
  while (rest.length > 0) {
    const open = rest.indexOf(OPEN);
    const strayClose = rest.indexOf(CLOSE);
    if (strayClose !== -1 && (open === -1 || strayClose < open)) {
      throw new TemplateVariableUnknown(echo(STRAY_CLOSE.exec(rest.slice(0, strayClose + 2))?.[0] ?? CLOSE));
    }
    if (open === -1) {
      segments.push({ text: rest });
      break;
    }
    if (open > 0) segments.push({ text: rest.slice(0, open) });
    const close = rest.indexOf(CLOSE, open + OPEN.length);
    const nextOpen = rest.indexOf(OPEN, open + OPEN.length);
    // `{{a {{b}}` or `{{a` at the end: this placeholder is never closed.
    if (close === -1 || (nextOpen !== -1 && nextOpen < close)) {
      throw new TemplateVariableUnknown(echo(UNCLOSED.exec(rest.slice(open))?.[0] ?? OPEN));
    }
    const inside = rest.slice(open + OPEN.length, close);
    const name = PLACEHOLDER_INSIDE.exec(inside)?.[1];
    if (name === undefined || !isTemplateVariable(name)) {
      throw new TemplateVariableUnknown(name ?? echo(`${OPEN}${inside}${CLOSE}`));
    }
    segments.push({ variable: name });
    rest = rest.slice(close + CLOSE.length);
  }
  return segments;
};

/** The distinct variables a (valid) template uses, in order of first use. */
export const templateVariables = (body: string): TemplateVariable[] => [
  ...new Set(parseTemplate(body).flatMap((s) => ('variable' in s ? [s.variable] : []))),
];

/** Save-time check: throws TemplateVariableUnknown, otherwise returns the variables used. */
export const validateTemplateBody = (body: string): TemplateVariable[] => templateVariables(body);

/** Values available for one message; null or blank means "no value". */
export type TemplateValues = Partial<Record<TemplateVariable, string | null>>;

/**
 * Fills every placeholder. A variable without a value throws
 * TemplateVariableMissing naming it: never an empty hole in a patient's message.
 * Values are inserted verbatim and never parsed again.
 */
export const renderTemplate = (body: string, values: TemplateValues): string =>
  parseTemplate(body)
    .map((segment) => {
      if ('text' in segment) return segment.text;
      const value = values[segment.variable];
      if (value === undefined || value === null || value.trim() === '') {
        throw new TemplateVariableMissing(segment.variable);
      }
      return value;
    })
    .join('');

const partsOf = (date: Date, timeZone: string, options: Intl.DateTimeFormatOptions) =>
  Object.fromEntries(
    new Intl.DateTimeFormat('fr-FR', { ...options, timeZone })
      .formatToParts(date)
      .map((p) => [p.type, p.value]),
  ) as Partial<Record<Intl.DateTimeFormatPartTypes, string>>;

/** "mardi 14 mai 2024" in the given IANA zone; the first of the month is "1er", as French letters write it. */
export const formatFrenchDate = (instant: string | Date, timeZone: string): string => {
  const p = partsOf(new Date(instant), timeZone, {
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    year: 'numeric',
  });
  return `${p.weekday} ${p.day === '1' ? '1er' : p.day} ${p.month} ${p.year}`;
};

/** "14h30", "9h05", "0h00" in the given IANA zone (24-hour clock). */
export const formatFrenchTime = (instant: string | Date, timeZone: string): string => {
  const p = partsOf(new Date(instant), timeZone, { hour: 'numeric', minute: '2-digit', hourCycle: 'h23' });
  return `${Number(p.hour)}h${p.minute}`;
};

export interface TemplateContext {
  patient: { firstName: string; lastName: string } | null;
  practitioner: { displayName: string | null; timezone: string };
  appointment: { startsAt: string | null; motive: string | null } | null;
}

/** The variable values a message to this patient (about this appointment) can use. */
export const templateValues = (context: TemplateContext): TemplateValues => {
  const { patient, practitioner, appointment } = context;
  const startsAt = appointment?.startsAt ?? null;
  return {
    'patient.firstName': patient?.firstName ?? null,
    'patient.lastName': patient?.lastName ?? null,
    'practitioner.name': practitioner.displayName,
    'appointment.date': startsAt ? formatFrenchDate(startsAt, practitioner.timezone) : null,
    'appointment.time': startsAt ? formatFrenchTime(startsAt, practitioner.timezone) : null,
    'appointment.motive': appointment?.motive ?? null,
  };
};

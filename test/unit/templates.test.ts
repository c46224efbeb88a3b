import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatFrenchDate,
  formatFrenchTime,
  isTemplateVariable,
  parseTemplate,
  renderTemplate,
  TEMPLATE_VARIABLES,
  type TemplateValues,
  templateValues,
  validateTemplateBody,
} from '../../shared/domain/templates.ts';

/** Text that cannot open or close a placeholder by itself. */
const text = fc.string({ maxLength: 40 }).filter((s) => !s.includes('{') && !s.includes('}'));
const variable = fc.constantFrom(...TEMPLATE_VARIABLES);
const spaces = fc.constantFrom('', ' ', '  ', '\t');
const placeholder = fc
  .tuple(spaces, variable, spaces)
  .map(([a, v, b]) => ({ source: `{{${a}${v}${b}}}`, v }));
/** A body alternating free text and known variables, with the variables it uses. */
const knownBody = fc
  .array(fc.tuple(text, placeholder), { maxLength: 8 })
  .chain((pairs) => text.map((tail) => ({ pairs, tail })))
  .map(({ pairs, tail }) => ({
    body: pairs.map(([t, p]) => t + p.source).join('') + tail,
    pieces: pairs,
    tail,
  }));
const value = fc
  .string({ minLength: 1, maxLength: 30 })
  .filter((s) => s.trim() !== '' && !s.includes('{') && !s.includes('}'));
const allValues = fc.record(
  Object.fromEntries(TEMPLATE_VARIABLES.map((v) => [v, value])) as Record<
    (typeof TEMPLATE_VARIABLES)[number],
    typeof value
  >,
);
const unknownName = fc
  .stringMatching(/^[A-Za-z][A-Za-z0-9]{0,10}(\.[A-Za-z][A-Za-z0-9]{0,10}){0,2}$/)
  .filter((n) => !isTemplateVariable(n));

const errorOf = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    return error as { code?: string; details?: { variable?: string } };
  }
  return null;
};

describe('template rendering (properties)', () => {
  it('renders any body made of text and known variables without leaving a placeholder', () => {
    fc.assert(
      fc.property(knownBody, allValues, ({ body }, values) => {
        const rendered = renderTemplate(body, values);
        expect(rendered).not.toContain('{{');
        expect(rendered).not.toContain('}}');
      }),
    );
  });

  it('puts each value exactly where its variable was, text untouched', () => {
    fc.assert(
      fc.property(knownBody, allValues, ({ body, pieces, tail }, values) => {
        const expected = pieces.map(([t, p]) => t + values[p.v]).join('') + tail;
        expect(renderTemplate(body, values)).toBe(expected);
      }),
    );
  });

  it('never parses a value again: a value that looks like a variable stays literal', () => {
    const values: TemplateValues = {
      'patient.firstName': '{{patient.lastName}}',
      'patient.lastName': 'Durand',
    };
    expect(renderTemplate('Bonjour {{patient.firstName}}', values)).toBe('Bonjour {{patient.lastName}}');
  });

  it('refuses any unknown variable, wherever it stands, naming it', () => {
    fc.assert(
      fc.property(
        knownBody,
        unknownName,
        knownBody,
        spaces,
        ({ body: before }, name, { body: after }, pad) => {
          const error = errorOf(() => validateTemplateBody(`${before}{{${pad}${name}${pad}}}${after}`));
          expect(error?.code).toBe('TEMPLATE_VARIABLE_UNKNOWN');
          expect(error?.details?.variable).toBe(name);
        },
      ),
    );
  });

  it('refuses any malformed placeholder among valid ones', () => {
    const malformed = fc.constantFrom(
      '{{',
      '}}',
      '{{}}',
      '{{ }}',
      '{{patient.firstName}',
      '{patient.firstName}}',
      '{{{patient.firstName}}}',
      '{{patient.firstName',
      '{{ patient firstName }}',
      '{{patient..firstName}}',
      '{{.patient}}',
    );
    fc.assert(
      fc.property(knownBody, malformed, knownBody, ({ body: before }, bad, { body: after }) => {
        const error = errorOf(() => validateTemplateBody(`${before}${bad}${after}`));
        expect(error?.code).toBe('TEMPLATE_VARIABLE_UNKNOWN');
        expect(typeof error?.details?.variable).toBe('string');
      }),
    );
  });

  it('refuses to render when a used variable has no value, naming the first one', () => {
    fc.assert(
      fc.property(
        knownBody.filter((b) => b.pieces.length > 0),
        allValues,
        fc.nat(),
        fc.constantFrom(null, '', '   ', undefined),
        ({ body, pieces }, values, pick, empty) => {
          const missing = pieces[pick % pieces.length]?.[1].v;
          if (!missing) return;
          const first = pieces.find(([, p]) => p.v === missing)?.[1].v;
          const error = errorOf(() => renderTemplate(body, { ...values, [missing]: empty }));
          expect(error?.code).toBe('TEMPLATE_VARIABLE_MISSING');
          expect(error?.details?.variable).toBe(first);
        },
      ),
    );
  });
});

describe('template parsing, examples', () => {
  it('names the malformed fragment, not the whole text', () => {
    expect(errorOf(() => parseTemplate('Bonjour {{patient.firstName}, à bientôt'))?.details?.variable).toBe(
      '{{patient.firstName}',
    );
    expect(errorOf(() => parseTemplate('Bonjour {{}}'))?.details?.variable).toBe('{{}}');
    expect(errorOf(() => parseTemplate('Le {{appointment.Date}}'))?.details?.variable).toBe(
      'appointment.Date',
    );
    expect(errorOf(() => parseTemplate('Bonjour <DATE/HEURE RDV>'))).toBeNull();
  });

  it('accepts spaces inside the braces and a body without variables', () => {
    expect(parseTemplate('{{ patient.firstName }} !')).toEqual([
      { variable: 'patient.firstName' },
      { text: ' !' },
    ]);
    expect(parseTemplate('Merci de votre visite.')).toEqual([{ text: 'Merci de votre visite.' }]);
  });
});

describe('French dates and times in the practitioner time zone', () => {
  it('writes the seed example', () => {
    expect(formatFrenchDate('2024-05-14T12:30:00.000Z', 'Europe/Paris')).toBe('mardi 14 mai 2024');
    expect(formatFrenchTime('2024-05-14T12:30:00.000Z', 'Europe/Paris')).toBe('14h30');
  });

  it('writes the first of the month "1er" and hours without a leading zero', () => {
    expect(formatFrenchDate('2024-05-01T08:05:00.000Z', 'Europe/Paris')).toBe('mercredi 1er mai 2024');
    expect(formatFrenchTime('2024-05-01T07:05:00.000Z', 'Europe/Paris')).toBe('9h05');
    expect(formatFrenchTime('2024-05-01T22:00:00.000Z', 'Europe/Paris')).toBe('0h00');
  });

  it('uses the zone: the same instant is another day and hour elsewhere', () => {
    const instant = '2024-05-14T22:30:00.000Z';
    const cases: Array<[string, string, string]> = [
      ['Europe/Paris', 'mercredi 15 mai 2024', '0h30'],
      ['America/Guadeloupe', 'mardi 14 mai 2024', '18h30'],
      ['Indian/Reunion', 'mercredi 15 mai 2024', '2h30'],
      ['Pacific/Noumea', 'mercredi 15 mai 2024', '9h30'],
      ['America/Cayenne', 'mardi 14 mai 2024', '19h30'],
      ['UTC', 'mardi 14 mai 2024', '22h30'],
    ];
    for (const [zone, date, time] of cases) {
      expect([zone, formatFrenchDate(instant, zone), formatFrenchTime(instant, zone)]).toEqual([
        zone,
        date,
        time,
      ]);
    }
  });

  it('follows daylight saving time in Paris (spring forward, fall back)', () => {
    // 31 March 2024: 02:00 CET becomes 03:00 CEST.
    expect(formatFrenchTime('2024-03-31T00:30:00.000Z', 'Europe/Paris')).toBe('1h30');
    expect(formatFrenchTime('2024-03-31T01:00:00.000Z', 'Europe/Paris')).toBe('3h00');
    expect(formatFrenchTime('2024-03-31T01:30:00.000Z', 'Europe/Paris')).toBe('3h30');
    // 27 October 2024: 03:00 CEST becomes 02:00 CET, so 2h30 happens twice.
    expect(formatFrenchTime('2024-10-27T00:30:00.000Z', 'Europe/Paris')).toBe('2h30');
    expect(formatFrenchTime('2024-10-27T01:30:00.000Z', 'Europe/Paris')).toBe('2h30');
    expect(formatFrenchTime('2024-10-27T02:30:00.000Z', 'Europe/Paris')).toBe('3h30');
    // Winter and summer: the same UTC hour is 1 hour apart locally.
    expect(formatFrenchTime('2024-01-15T13:00:00.000Z', 'Europe/Paris')).toBe('14h00');
    expect(formatFrenchTime('2024-07-15T13:00:00.000Z', 'Europe/Paris')).toBe('15h00');
  });

  it('a New Year appointment is dated in the zone, not in UTC', () => {
    expect(formatFrenchDate('2024-12-31T23:30:00.000Z', 'Europe/Paris')).toBe('mercredi 1er janvier 2025');
    expect(formatFrenchDate('2024-12-31T23:30:00.000Z', 'America/Martinique')).toBe('mardi 31 décembre 2024');
  });

  it('always produces a well-formed French date and time, matching the zone wall clock (property)', () => {
    const zones = fc.constantFrom(
      'Europe/Paris',
      'America/Guadeloupe',
      'Indian/Reunion',
      'Pacific/Noumea',
      'Pacific/Tahiti',
      'America/New_York',
      'Asia/Kolkata',
      'Australia/Lord_Howe',
    );
    const weekday = '(lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)';
    const month = '(janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre)';
    const dateShape = new RegExp(`^${weekday} (1er|[2-9]|[12]\\d|3[01]) ${month} \\d{4}$`);
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('2000-01-01T00:00:00Z'),
          max: new Date('2100-01-01T00:00:00Z'),
          noInvalidDate: true,
        }),
        zones,
        (date, zone) => {
          const wall = Object.fromEntries(
            new Intl.DateTimeFormat('en-GB', {
              timeZone: zone,
              day: 'numeric',
              hour: 'numeric',
              minute: '2-digit',
              hourCycle: 'h23',
            })
              .formatToParts(date)
              .map((p) => [p.type, p.value]),
          );
          const formattedDate = formatFrenchDate(date, zone);
          expect(formattedDate).toMatch(dateShape);
          expect(formattedDate.split(' ')[1]?.replace('er', '')).toBe(String(Number(wall.day)));
          expect(formatFrenchTime(date, zone)).toBe(`${Number(wall.hour)}h${wall.minute}`);
        },
      ),
    );
  });
});

describe('template values', () => {
  it('offers the appointment variables only with an appointment that has them', () => {
    const base = {
      patient: { firstName: 'Camille', lastName: 'Durand' },
      practitioner: { displayName: 'Dr Martin', timezone: 'Europe/Paris' },
    };
    expect(templateValues({ ...base, appointment: null })).toMatchObject({
      'appointment.date': null,
      'appointment.time': null,
      'appointment.motive': null,
      'practitioner.name': 'Dr Martin',
    });
    expect(
      templateValues({ ...base, appointment: { startsAt: '2024-05-14T12:30:00.000Z', motive: 'Suivi' } }),
    ).toMatchObject({
      'appointment.date': 'mardi 14 mai 2024',
      'appointment.time': '14h30',
      'appointment.motive': 'Suivi',
    });
  });
});

import { describe, expect, it } from 'vitest';
import { ITEM_KINDS } from '../../shared/db/keys.ts';
import { CONTACT_DATA_HOLDERS, HOLDS_NO_CONTACT_DATA } from '../../shared/use-cases/erasure.ts';

/**
 * Every item kind is classified for erasure (docs/adr/0013-gdpr-export-erasure.md): a
 * kind added to ITEM_KINDS fails here until it is either erased
 * (CONTACT_DATA_HOLDERS: one line) or stated to hold no contact data, with why.
 */
describe('erasure covers every item kind', () => {
  const erased = CONTACT_DATA_HOLDERS.map((holder) => holder.kind);
  const none = Object.keys(HOLDS_NO_CONTACT_DATA);

  it('each kind is in exactly one of the two lists', () => {
    for (const kind of Object.keys(ITEM_KINDS)) {
      expect([erased.includes(kind as never), none.includes(kind)].filter(Boolean), kind).toHaveLength(1);
    }
    expect([...erased, ...none].sort()).toEqual(Object.keys(ITEM_KINDS).sort());
  });

  it('the patient record (names, email) and the exports are erased', () => {
    expect(erased).toEqual(expect.arrayContaining(['patientRecord', 'patientExport']));
  });
});

import * as z from '../shared/validation.ts';

export const id = z.string().check(z.minLength(1), z.maxLength(128));
export const timestamp = z.iso.datetime();
export const actor = z.enum(['practitioner', 'patient', 'system']);

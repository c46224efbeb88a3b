import * as z from 'zod';

export const id = z.string().min(1).max(128);
export const timestamp = z.iso.datetime();
export const actor = z.enum(['practitioner', 'patient', 'system']);

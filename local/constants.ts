/** Identity of the fake AWS account/region the local stack pretends to run in. */
export const LOCAL_ACCOUNT_ID = '000000000000';
export const LOCAL_REGION = 'eu-west-3';
export const LOCAL_API_ID = 'local';

/** EventBridge timestamps have second precision: "2026-11-26T10:00:00Z". */
export const eventTime = (date: Date): string => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * Lambda bundles only: infra/bundling.ts has esbuild put this module in place of
 * `@aws-sdk/credential-provider-node`, the SDK clients' default credential chain
 * (docs/adr/0006-bundle-size.md). Lambda gives the execution role's credentials
 * in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, the chain's
 * first link, so in Lambda the chain never went further; its other links (SSO,
 * ini files, processes, web identity, metadata endpoints, with the STS and SSO
 * clients they embed) were ~130 KB of every bundle. Locally and in tests the real
 * chain is used (nothing is aliased outside a Lambda bundle).
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';

/** Same signature as the chain's `defaultProvider`; the SDK memoizes what it returns. */
export const defaultProvider = (init: Parameters<typeof fromEnv>[0] = {}) => fromEnv(init);

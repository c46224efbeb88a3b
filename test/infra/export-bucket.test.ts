/**
 * The export bucket on the synthesized templates (docs/adr/0013-gdpr-export-erasure.md): each
 * export encrypted with the data key, private, HTTPS only, and gone 7 days after it was written.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { expectPrivateUnderDataKey, expectTlsOnly, statefulBucket } from './buckets.ts';
import { SYNTH_TIMEOUT, type Synthesized, shared } from './synth.ts';

let prod: Synthesized;
beforeAll(() => {
  prod = shared('prod');
}, SYNTH_TIMEOUT);

const bucket = () => statefulBucket(prod, 'Stateful/ExportBucket/Resource');

describe('the export bucket', () => {
  it('SSE-KMS with the data key and a bucket key, public access blocked', () => {
    expectPrivateUnderDataKey(prod, bucket()[1]);
    expect(JSON.stringify(bucket()[1].Properties.BucketName)).toContain('patient-messaging-prod-exports-');
  });

  it('its policy refuses plain HTTP and TLS below 1.2', () => {
    expectTlsOnly(prod, bucket()[0]);
  });

  it('lifecycle: every export expires after 7 days, incomplete uploads are aborted', () => {
    expect(bucket()[1].Properties.LifecycleConfiguration.Rules).toEqual([
      expect.objectContaining({
        Status: 'Enabled',
        ExpirationInDays: 7,
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
      }),
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { checkPostPolicy, checkUploadSize, PostPolicyError } from '../../../local/s3-post-policy.ts';

const NOW = new Date('2026-01-01T12:00:00Z');
const BUCKET = 'uploads';

/** A form as createPresignedPost builds it, with the given policy conditions. */
function form(
  conditions: unknown[],
  fields: Record<string, string> = {},
  expiration = '2026-01-01T12:05:00Z',
): Map<string, string> {
  const policy = Buffer.from(JSON.stringify({ expiration, conditions })).toString('base64');
  return new Map(
    Object.entries({
      bucket: BUCKET,
      key: 'inventory/a.csv',
      'content-type': 'text/csv',
      'x-amz-algorithm': 'AWS4-HMAC-SHA256',
      ...fields,
      policy,
      'x-amz-signature': 'ignored',
    }),
  );
}

const PRESIGNED = [
  { bucket: BUCKET },
  { key: 'inventory/a.csv' },
  { 'Content-Type': 'text/csv' },
  { 'X-Amz-Algorithm': 'AWS4-HMAC-SHA256' },
  ['content-length-range', 1, 1000],
];

const failure = (run: () => unknown): PostPolicyError => {
  try {
    run();
  } catch (error) {
    if (error instanceof PostPolicyError) return error;
    throw error;
  }
  throw new Error('expected a PostPolicyError');
};

describe('checkPostPolicy', () => {
  it('accepts a form that meets every condition, and returns the size range', () => {
    expect(checkPostPolicy({ fields: form(PRESIGNED), bucket: BUCKET, now: NOW })).toEqual({
      min: 1,
      max: 1000,
    });
  });

  it('refuses an expired policy', () => {
    const error = failure(() =>
      checkPostPolicy({ fields: form(PRESIGNED, {}, '2026-01-01T11:59:59Z'), bucket: BUCKET, now: NOW }),
    );
    expect([error.code, error.message]).toEqual([
      'AccessDenied',
      'Invalid according to Policy: Policy expired.',
    ]);
  });

  it('refuses a field that breaks its condition, naming the condition', () => {
    const error = failure(() =>
      checkPostPolicy({ fields: form(PRESIGNED, { 'content-type': 'text/html' }), bucket: BUCKET, now: NOW }),
    );
    expect(error.code).toBe('AccessDenied');
    expect(error.message).toContain('{"Content-Type":"text/csv"}');
  });

  it('refuses a form field no condition covers', () => {
    const error = failure(() =>
      checkPostPolicy({ fields: form(PRESIGNED, { 'x-amz-meta-owner': 'me' }), bucket: BUCKET, now: NOW }),
    );
    expect([error.code, error.message]).toEqual([
      'AccessDenied',
      'Invalid according to Policy: Extra input fields: x-amz-meta-owner',
    ]);
  });

  it('needs no condition for the policy, the signature, the file and x-ignore- fields', () => {
    const fields = form(PRESIGNED, { 'x-ignore-tracking': '1' });
    expect(() => checkPostPolicy({ fields, bucket: BUCKET, now: NOW })).not.toThrow();
  });

  it('checks the bucket of the request against a bucket condition', () => {
    const fields = form(PRESIGNED);
    fields.delete('bucket');
    expect(failure(() => checkPostPolicy({ fields, bucket: 'another', now: NOW })).code).toBe('AccessDenied');
    expect(checkPostPolicy({ fields, bucket: BUCKET, now: NOW }).max).toBe(1000);
  });

  it('applies starts-with and eq conditions', () => {
    const conditions = [
      { bucket: BUCKET },
      ['starts-with', '$key', 'inventory/'],
      ['eq', '$Content-Type', 'text/csv'],
      ['starts-with', '$x-amz-algorithm', ''],
    ];
    expect(checkPostPolicy({ fields: form(conditions), bucket: BUCKET, now: NOW })).toEqual({
      min: 0,
      max: Number.POSITIVE_INFINITY,
    });
    const outside = form(conditions, { key: 'images/a.csv' });
    expect(failure(() => checkPostPolicy({ fields: outside, bucket: BUCKET, now: NOW })).message).toContain(
      '["starts-with","$key","inventory/"]',
    );
  });

  it('refuses a POST without a policy, and a policy that is not JSON', () => {
    const fields = form(PRESIGNED);
    fields.delete('policy');
    expect(failure(() => checkPostPolicy({ fields, bucket: BUCKET, now: NOW })).code).toBe('AccessDenied');
    fields.set('policy', Buffer.from('{not json').toString('base64'));
    expect(failure(() => checkPostPolicy({ fields, bucket: BUCKET, now: NOW })).code).toBe(
      'InvalidPolicyDocument',
    );
  });

  it('refuses a policy without expiration or conditions', () => {
    const fields = new Map([['policy', Buffer.from(JSON.stringify({ conditions: [] })).toString('base64')]]);
    expect(failure(() => checkPostPolicy({ fields, bucket: BUCKET, now: NOW })).message).toContain(
      'missing expiration',
    );
    fields.set(
      'policy',
      Buffer.from(JSON.stringify({ expiration: '2030-01-01T00:00:00Z' })).toString('base64'),
    );
    expect(failure(() => checkPostPolicy({ fields, bucket: BUCKET, now: NOW })).message).toContain(
      'missing conditions',
    );
  });
});

describe('checkUploadSize', () => {
  it('allows the bounds themselves and refuses one byte beyond either', () => {
    expect(() => checkUploadSize(1, { min: 1, max: 10 })).not.toThrow();
    expect(() => checkUploadSize(10, { min: 1, max: 10 })).not.toThrow();
    expect(failure(() => checkUploadSize(11, { min: 1, max: 10 })).code).toBe('EntityTooLarge');
    expect(failure(() => checkUploadSize(0, { min: 1, max: 10 })).code).toBe('EntityTooSmall');
  });
});

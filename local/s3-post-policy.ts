/**
 * POST policies of browser uploads (presigned POSTs), checked as S3 checks them
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html):
 * the policy must not have expired, every condition must hold, every form field must be
 * covered by a condition, and the file's size must be within `content-length-range`.
 * The signature itself is not checked: the local cloud accepts any credentials.
 */

export class PostPolicyError extends Error {
  constructor(
    /** S3's error code: AccessDenied (403), InvalidPolicyDocument, EntityTooLarge or EntityTooSmall (400). */
    readonly code: 'AccessDenied' | 'InvalidPolicyDocument' | 'EntityTooLarge' | 'EntityTooSmall',
    message: string,
  ) {
    super(message);
    this.name = 'PostPolicyError';
  }
}

/** The file size a policy allows, in bytes (inclusive). */
export interface AllowedSize {
  min: number;
  max: number;
}

/** Form fields that need no condition (names in lower case). */
const EXEMPT_FIELDS = new Set(['policy', 'x-amz-signature', 'file']);

/**
 * Checks a POST upload's form fields (names in lower case, the file excluded) against its
 * policy; returns the size range the file must be in, or throws a `PostPolicyError`.
 */
export function checkPostPolicy(options: {
  fields: ReadonlyMap<string, string>;
  bucket: string;
  now: Date;
}): AllowedSize {
  const { fields, bucket, now } = options;
  const encoded = fields.get('policy');
  if (encoded === undefined) {
    throw new PostPolicyError(
      'AccessDenied',
      'Access Denied: the bucket is private, and a POST without a policy is anonymous',
    );
  }
  const policy = decodePolicy(encoded);
  const expiration = typeof policy.expiration === 'string' ? Date.parse(policy.expiration) : Number.NaN;
  if (Number.isNaN(expiration)) {
    throw new PostPolicyError('InvalidPolicyDocument', 'Invalid Policy: Policy missing expiration.');
  }
  if (expiration <= now.getTime()) {
    throw new PostPolicyError('AccessDenied', 'Invalid according to Policy: Policy expired.');
  }
  if (!Array.isArray(policy.conditions)) {
    throw new PostPolicyError('InvalidPolicyDocument', 'Invalid Policy: Policy missing conditions.');
  }

  const fieldValue = (name: string): string | undefined =>
    fields.get(name) ?? (name === 'bucket' ? bucket : undefined);
  const covered = new Set<string>();
  const size: AllowedSize = { min: 0, max: Number.POSITIVE_INFINITY };
  for (const condition of policy.conditions as unknown[]) {
    const failed = (): PostPolicyError =>
      new PostPolicyError(
        'AccessDenied',
        `Invalid according to Policy: Policy Condition failed: ${JSON.stringify(condition)}`,
      );
    if (Array.isArray(condition)) {
      const [operator, first, second] = condition as unknown[];
      if (operator === 'content-length-range') {
        const min = Number(first);
        const max = Number(second);
        if (!Number.isInteger(min) || !Number.isInteger(max) || min < 0 || max < min) {
          throw new PostPolicyError(
            'InvalidPolicyDocument',
            `Invalid Policy: Invalid content-length-range ${JSON.stringify(condition)}`,
          );
        }
        size.min = Math.max(size.min, min);
        size.max = Math.min(size.max, max);
        continue;
      }
      if (
        (operator !== 'eq' && operator !== 'starts-with') ||
        typeof first !== 'string' ||
        !first.startsWith('$')
      ) {
        throw new PostPolicyError(
          'InvalidPolicyDocument',
          `Invalid Policy: Invalid condition ${JSON.stringify(condition)}`,
        );
      }
      const name = first.slice(1).toLowerCase();
      const expected = String(second ?? '');
      const actual = fieldValue(name);
      covered.add(name);
      const holds =
        operator === 'eq'
          ? actual === expected
          : actual !== undefined
            ? actual.startsWith(expected)
            : expected === '';
      if (!holds) throw failed();
      continue;
    }
    if (condition !== null && typeof condition === 'object') {
      const entries = Object.entries(condition);
      const [entry] = entries;
      if (entries.length !== 1 || !entry) {
        throw new PostPolicyError(
          'InvalidPolicyDocument',
          `Invalid Policy: Invalid condition ${JSON.stringify(condition)}`,
        );
      }
      const name = entry[0].toLowerCase();
      covered.add(name);
      if (fieldValue(name) !== String(entry[1])) throw failed();
      continue;
    }
    throw new PostPolicyError(
      'InvalidPolicyDocument',
      `Invalid Policy: Invalid condition ${JSON.stringify(condition)}`,
    );
  }

  const extra = [...fields.keys()].filter(
    (name) => !EXEMPT_FIELDS.has(name) && !name.startsWith('x-ignore-') && !covered.has(name),
  );
  if (extra.length > 0) {
    throw new PostPolicyError(
      'AccessDenied',
      `Invalid according to Policy: Extra input fields: ${extra.join(', ')}`,
    );
  }
  return size;
}

/** Checks the uploaded file's size against what the policy allows. */
export function checkUploadSize(bytes: number, allowed: AllowedSize): void {
  if (bytes > allowed.max) {
    throw new PostPolicyError(
      'EntityTooLarge',
      `Your proposed upload exceeds the maximum allowed size (${bytes} bytes; at most ${allowed.max})`,
    );
  }
  if (bytes < allowed.min) {
    throw new PostPolicyError(
      'EntityTooSmall',
      `Your proposed upload is smaller than the minimum allowed size (${bytes} bytes; at least ${allowed.min})`,
    );
  }
}

function decodePolicy(encoded: string): { expiration?: unknown; conditions?: unknown } {
  try {
    const policy: unknown = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8'));
    if (policy !== null && typeof policy === 'object' && !Array.isArray(policy)) return policy;
  } catch {
    // Reported below.
  }
  throw new PostPolicyError('InvalidPolicyDocument', 'Invalid Policy: Invalid JSON.');
}

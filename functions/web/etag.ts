import { createHash } from 'node:crypto';

/** A strong validator for a representation: the hash of its exact bytes. */
export function entityTag(body: string): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
}

/**
 * If-None-Match uses the weak comparison (RFC 9110 §13.1.2): `W/"x"` matches `"x"`, and `*`
 * matches any current representation. This is HTTP's rule, not S3's (see `unquoteEtag` for
 * that): the tags compared here keep their quotes.
 */
export function ifNoneMatchSatisfied(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const strip = (tag: string): string => tag.trim().replace(/^W\//, '');
  const wanted = strip(etag);
  return ifNoneMatch.split(',').some((candidate) => {
    const tag = candidate.trim();
    return tag === '*' || strip(tag) === wanted;
  });
}

/**
 * Decodes an object key as S3 event notifications carry it: URL-encoded, with a space as
 * `+` (so a literal `+` arrives as `%2B`).
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
 * Returns undefined for a key that is not valid percent-encoding (it cannot come from S3).
 */
export function decodeS3EventKey(encodedKey: string): string | undefined {
  try {
    return decodeURIComponent(encodedKey.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

import type { S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost, type PresignedPost } from '@aws-sdk/s3-presigned-post';

export interface UploadPostOptions {
  bucket: string;
  key: string;
  contentType: string;
  maxBytes: number;
  expiresInSeconds: number;
  successRedirect?: string;
  metadata?: Record<string, string>;
}

/**
 * A presigned POST whose policy fixes the key and the Content-Type and bounds the size
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html).
 * Every field in `Fields` also becomes an exact-match condition.
 */
export async function createUploadPost(s3: S3Client, options: UploadPostOptions): Promise<PresignedPost> {
  const fields: Record<string, string> = { 'Content-Type': options.contentType };
  if (options.successRedirect) fields.success_action_redirect = options.successRedirect;
  for (const [name, value] of Object.entries(options.metadata ?? {})) fields[`x-amz-meta-${name}`] = value;
  return createPresignedPost(s3, {
    Bucket: options.bucket,
    Key: options.key,
    Fields: fields,
    Conditions: [['content-length-range', 1, options.maxBytes]],
    Expires: options.expiresInSeconds,
  });
}

import { UPLOADS } from '../../shared/images/harness.ts';

/** An S3 notification record as S3 sends it: the key URL-encoded, space as '+'. */
export function s3Record(
  key: string,
  options: {
    eventName?: string;
    bucket?: string;
    size?: number;
    sequencer?: string;
    versionId?: string;
    eTag?: string;
    rawKey?: string;
  } = {},
) {
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: 'eu-west-1',
    eventTime: '2025-01-02T03:04:05.000Z',
    eventName: options.eventName ?? 'ObjectCreated:Put',
    s3: {
      s3SchemaVersion: '1.0',
      bucket: { name: options.bucket ?? UPLOADS, arn: `arn:aws:s3:::${options.bucket ?? UPLOADS}` },
      object: {
        key: options.rawKey ?? encodeURIComponent(key).replace(/%2F/g, '/').replace(/%20/g, '+'),
        ...(options.size !== undefined && { size: options.size }),
        ...(options.eTag && { eTag: options.eTag }),
        ...(options.versionId && { versionId: options.versionId }),
        sequencer: options.sequencer ?? '0062E99A88DC407460',
      },
    },
  };
}

export const eventOf = (...records: unknown[]) => ({ Records: records });

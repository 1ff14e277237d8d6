import { ListObjectsV2Command, NoSuchKey, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import {
  isMissingObject,
  isMissingSource,
  isPreconditionFailed,
  unquoteEtag,
} from '../../../../shared/aws/s3-objects.ts';

const s3Error = (name: string, httpStatusCode: number) =>
  new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode }, message: name });

describe('S3 objects', () => {
  it('knows every way S3 says an object or version is not there', () => {
    // Assess
    expect(isMissingObject(new NoSuchKey({ message: 'gone', $metadata: {} }))).toBe(true);
    expect(isMissingObject(s3Error('NoSuchVersion', 404))).toBe(true);
    expect(isMissingObject(s3Error('NotFound', 404))).toBe(true);
    expect(isMissingObject(s3Error('Unknown', 404))).toBe(true);
    expect(isMissingObject(s3Error('AccessDenied', 403))).toBe(false);
    expect(isMissingObject('NoSuchKey')).toBe(false);
  });

  it('asks S3 whether a key answered with 403 is there, by listing exactly that key', async () => {
    // Prepare
    const s3 = new S3Client({ region: 'us-east-1' });
    const mock = mockClient(s3);
    mock.on(ListObjectsV2Command, { Prefix: 'inventory/gone.csv' }).resolves({ Contents: [] });
    mock
      .on(ListObjectsV2Command, { Prefix: 'inventory/here.csv' })
      .resolves({ Contents: [{ Key: 'inventory/here.csv' }] });
    mock
      .on(ListObjectsV2Command, { Prefix: 'inventory/a.csv' })
      .resolves({ Contents: [{ Key: 'inventory/a.csv.gz' }] });
    const denied = s3Error('AccessDenied', 403);

    // Act
    const gone = await isMissingSource(s3, 'uploads', 'inventory/gone.csv', denied);
    const here = await isMissingSource(s3, 'uploads', 'inventory/here.csv', denied);
    const longerNameOnly = await isMissingSource(s3, 'uploads', 'inventory/a.csv', denied);
    const throttled = await isMissingSource(s3, 'uploads', 'inventory/gone.csv', s3Error('SlowDown', 503));

    // Assess
    expect([gone, here, longerNameOnly, throttled]).toEqual([true, false, true, false]);
    expect(mock.commandCalls(ListObjectsV2Command)).toHaveLength(3);
    expect(mock.commandCalls(ListObjectsV2Command)[0]?.args[0].input).toEqual({
      Bucket: 'uploads',
      Prefix: 'inventory/gone.csv',
      MaxKeys: 1,
    });
  });

  it('tells a failed condition and strips the quotes S3 puts around ETags', () => {
    // Assess
    expect(isPreconditionFailed(s3Error('PreconditionFailed', 412))).toBe(true);
    expect(isPreconditionFailed(s3Error('NotModified', 304))).toBe(false);
    expect(unquoteEtag('"9b2cf535f27731c974343645a3985328"')).toBe('9b2cf535f27731c974343645a3985328');
    expect(unquoteEtag(undefined)).toBe('');
  });
});

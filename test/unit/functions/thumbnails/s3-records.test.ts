import { describe, expect, it } from 'vitest';
import { recordsOf, triageS3Record } from '../../../../functions/thumbnails/s3-records.ts';
import { baseConfig, UPLOADS } from '../../shared/images/harness.ts';
import { s3Record } from './s3-notifications.ts';

/** A record with every field S3 sends (the example of the S3 documentation). */
const documentedRecord = {
  eventVersion: '2.1',
  eventSource: 'aws:s3',
  awsRegion: 'us-east-2',
  eventTime: '2019-09-03T19:37:27.192Z',
  eventName: 'ObjectCreated:Put',
  userIdentity: { principalId: 'AWS:AIDAINPONIXQXHT3IKHL2' },
  requestParameters: { sourceIPAddress: '205.255.255.255' },
  responseElements: { 'x-amz-request-id': 'D82B88E5F771F645', 'x-amz-id-2': 'vlR7PnpV2Ce81l0PRw6jlUpck7' },
  s3: {
    s3SchemaVersion: '1.0',
    configurationId: '828aa6fc-f7b5-4305-8584-487c791949c1',
    bucket: {
      name: UPLOADS,
      ownerIdentity: { principalId: 'A3I5XTEXAMAI3E' },
      arn: `arn:aws:s3:::${UPLOADS}`,
    },
    object: {
      key: 'images/red+shoe%2B%C3%A9.jpg',
      size: 1305107,
      eTag: 'b21b84d653bb07b05b1e6b33684dc11b',
      versionId: 'yd3d4HaWOT2zguDLvIQLU6ptDTwKBnQV',
      sequencer: '0c0f6f405d6ed209e1',
    },
  },
};

describe('triageS3Record', () => {
  it('accepts an upload under images/: key decoded (+ is a space), sequencer upper-cased', () => {
    // Act
    const triage = triageS3Record(documentedRecord, baseConfig);

    // Assess
    expect(triage).toEqual({
      accepted: true,
      event: {
        kind: 'created',
        eventName: 'ObjectCreated:Put',
        bucket: UPLOADS,
        key: 'images/red shoe+é.jpg',
        size: 1305107,
        eTag: 'b21b84d653bb07b05b1e6b33684dc11b',
        versionId: 'yd3d4HaWOT2zguDLvIQLU6ptDTwKBnQV',
        sequencer: '0C0F6F405D6ED209E1',
      },
    });
  });

  it.each([
    ['ObjectCreated:CompleteMultipartUpload', 'created'],
    ['ObjectCreated:Copy', 'created'],
    ['ObjectRemoved:Delete', 'removed'],
    ['ObjectRemoved:DeleteMarkerCreated', 'removed'],
  ])('tells %s apart as %s', (eventName, kind) => {
    // Act
    const triage = triageS3Record(s3Record('images/a.jpg', { eventName }), baseConfig);

    // Assess
    expect(triage).toMatchObject({ accepted: true, event: { kind, eventName, key: 'images/a.jpg' } });
  });

  it('reads only the fields it needs: a record without identity or request details is accepted', () => {
    // Prepare
    const record = {
      eventSource: 'aws:s3',
      eventName: 'ObjectCreated:Put',
      s3: { bucket: { name: UPLOADS }, object: { key: 'images/a.jpg' } },
    };

    // Act
    const triage = triageS3Record(record, baseConfig);

    // Assess
    expect(triage).toEqual({
      accepted: true,
      event: { kind: 'created', eventName: 'ObjectCreated:Put', bucket: UPLOADS, key: 'images/a.jpg' },
    });
  });

  it('leaves out a sequencer that is not hex', () => {
    // Act
    const triage = triageS3Record(s3Record('images/a.jpg', { sequencer: 'not-hex' }), baseConfig);

    // Assess
    expect(triage.accepted && triage.event).not.toHaveProperty('sequencer');
  });

  it.each([
    ['an SQS record', { eventSource: 'aws:sqs', body: '{}' }, 'not_s3'],
    ['a record without a bucket name', s3Record('images/a.jpg', { bucket: '' }), 'not_s3'],
    [
      'a record with a negative size',
      { ...documentedRecord, s3: { ...documentedRecord.s3, object: { key: 'images/a.jpg', size: -1 } } },
      'not_s3',
    ],
    ['a tagging event', s3Record('images/a.jpg', { eventName: 'ObjectTagging:Put' }), 'unhandled_event'],
    ['another bucket', s3Record('images/a.jpg', { bucket: 'elsewhere' }), 'foreign_bucket'],
    ['a key that is not URL-encoded', s3Record('x', { rawKey: 'images/100%.jpg' }), 'undecodable_key'],
    ['a key outside images/', s3Record('inventory/a.csv'), 'outside_prefix'],
    ['a folder marker', s3Record('images/shoes/'), 'folder_marker'],
  ])('skips %s', (_name, record, reason) => {
    // Act
    const triage = triageS3Record(record, baseConfig);

    // Assess
    expect(triage).toMatchObject({ accepted: false, reason });
  });

  it('accepts a key however long: the thumbnailer reports one too long for its thumbnails', () => {
    // Prepare: 1,024 bytes, S3's limit, so no thumbnail or report key of it can fit.
    const longest = `images/${'é'.repeat(508)}a`;

    // Act
    const triage = triageS3Record(s3Record(longest), baseConfig);

    // Assess
    expect(Buffer.byteLength(longest)).toBe(1024);
    expect(triage).toMatchObject({ accepted: true, event: { key: longest } });
  });
});

describe('recordsOf', () => {
  it('finds the records of an S3 event, and none in S3’s test event', () => {
    expect(recordsOf({ Records: [documentedRecord] })).toEqual([documentedRecord]);
    expect(recordsOf({ Service: 'Amazon S3', Event: 's3:TestEvent' })).toEqual([]);
    expect(recordsOf(undefined)).toEqual([]);
  });
});

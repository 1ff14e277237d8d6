import { describe, expect, it } from 'vitest';
import { importEventSchema } from '../../../../functions/import-inventory/s3-event.ts';

/** A notification as S3 sends it (only the key and version vary here). */
function notification(key: string, versionId?: string) {
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: 'eu-west-1',
        eventTime: '2025-04-01T08:00:00.000Z',
        eventName: 'ObjectCreated:Put',
        userIdentity: { principalId: 'AWS:AIDAEXAMPLE' },
        requestParameters: { sourceIPAddress: '203.0.113.7' },
        responseElements: {
          'x-amz-request-id': 'C3D13FE58DE4C810',
          'x-amz-id-2': 'FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD',
        },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'inventory',
          bucket: {
            name: 'uploads',
            ownerIdentity: { principalId: 'A3NL1KOZZKExample' },
            arn: 'arn:aws:s3:::uploads',
          },
          object: {
            key,
            size: 120,
            eTag: '0123456789abcdef',
            sequencer: '0055AED6DCD90281E5',
            ...(versionId ? { versionId } : {}),
          },
        },
      },
    ],
  };
}

describe('importEventSchema', () => {
  it('decodes the key as S3 encodes it in events: a space as +, a + as %2B', () => {
    // Act
    const event = importEventSchema.parse(notification('inventory/stock+list%2B%C3%A9+2025.csv', 'v3'));

    // Assess
    expect(event.Records).toEqual([
      {
        s3: {
          bucket: { name: 'uploads' },
          object: { key: 'inventory/stock list+é 2025.csv', versionId: 'v3' },
        },
      },
    ]);
  });

  it('takes a hand-made record that names only the bucket and the key', () => {
    // Act
    const event = importEventSchema.parse({
      Records: [{ s3: { bucket: { name: 'uploads' }, object: { key: 'inventory/a+b.csv' } } }],
    });

    // Assess
    expect(event.Records[0]?.s3.object).toEqual({ key: 'inventory/a b.csv' });
  });

  it.each([
    ['a key that is not URL-encoding', notification('inventory/100%.csv')],
    ['a record without a bucket name', { Records: [{ s3: { bucket: {}, object: { key: 'a.csv' } } }] }],
    ['an event that is not a notification', { Service: 'Amazon S3', Event: 's3:TestEvent' }],
  ])('refuses %s', (_name, event) => {
    // Act
    const parsed = importEventSchema.safeParse(event);

    // Assess
    expect(parsed.success).toBe(false);
  });
});

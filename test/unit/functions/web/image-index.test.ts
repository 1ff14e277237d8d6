import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { ImageIndex } from '../../../../functions/web/image-index.ts';
import { testClients } from './helpers.ts';

describe('the image index', () => {
  it("maps each item to its image's thumbnails from one cached listing", async () => {
    // Prepare
    const { s3 } = testClients();
    const mock = mockClient(s3);
    mock.on(ListObjectsV2Command).resolves({
      Contents: [
        { Key: 'images/bolt.png/200.webp' },
        { Key: 'images/bolt.png/400.webp' },
        { Key: 'images/nut/200.webp' },
        { Key: 'images/nut.jpg/200.webp' },
        { Key: 'images/nut.jpg/not-a-thumbnail.txt' },
        { Key: 'images/washer.jpg/200.webp' },
        { Key: 'images/washer.png/200.webp' },
      ],
    });
    let clock = 0;
    const index = new ImageIndex(s3, 'thumbnails', 1000, 10, () => clock);

    // Act
    const first = await index.thumbnails();
    clock = 500;
    await index.thumbnails();
    clock = 1500;
    await index.thumbnails();

    // Assess
    expect(first.get('bolt')).toEqual([
      { key: 'images/bolt.png/200.webp', width: 200 },
      { key: 'images/bolt.png/400.webp', width: 400 },
    ]);
    // `images/nut` is the item `nut` exactly; `images/nut.jpg` is also the item `nut.jpg`.
    expect(first.get('nut')).toEqual([{ key: 'images/nut/200.webp', width: 200 }]);
    expect(first.get('nut.jpg')).toEqual([{ key: 'images/nut.jpg/200.webp', width: 200 }]);
    // Among one item's extensions, the last listed.
    expect(first.get('washer')).toEqual([{ key: 'images/washer.png/200.webp', width: 200 }]);
    expect(mock.commandCalls(ListObjectsV2Command)).toHaveLength(2);
    expect(mock.commandCalls(ListObjectsV2Command)[0]?.args[0].input).toMatchObject({
      Bucket: 'thumbnails',
      Prefix: 'images/',
    });
  });

  it('stops after its page limit', async () => {
    // Prepare
    const { s3 } = testClients();
    const mock = mockClient(s3);
    mock.on(ListObjectsV2Command).resolves({
      Contents: [{ Key: 'images/bolt.png/200.webp' }],
      IsTruncated: true,
      NextContinuationToken: 'more',
    });
    const index = new ImageIndex(s3, 'thumbnails', 0, 3);

    // Act
    await index.thumbnails();

    // Assess
    expect(mock.commandCalls(ListObjectsV2Command)).toHaveLength(3);
  });
});

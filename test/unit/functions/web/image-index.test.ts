import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { ImageIndex } from '../../../../functions/web/image-index.ts';
import { testClients } from './helpers.ts';

describe('the image index', () => {
  it('indexes which items have images with one cached listing', async () => {
    // Prepare
    const { s3 } = testClients();
    const mock = mockClient(s3);
    mock.on(ListObjectsV2Command).resolves({
      CommonPrefixes: [
        { Prefix: 'images/bolt.png/' },
        { Prefix: 'images/nut/' },
        { Prefix: 'images/nut.jpg/' },
      ],
    });
    let clock = 0;
    const index = new ImageIndex(s3, 'thumbnails', 1000, 10, () => clock);

    // Act
    const first = await index.images();
    clock = 500;
    await index.images();
    clock = 1500;
    await index.images();

    // Assess
    expect(first.get('bolt')).toBe('images/bolt.png/');
    expect(first.get('nut')).toBe('images/nut/');
    expect(first.get('nut.jpg')).toBe('images/nut.jpg/');
    expect(mock.commandCalls(ListObjectsV2Command)).toHaveLength(2);
  });
});

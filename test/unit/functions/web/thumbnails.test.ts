import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { findThumbnail } from '../../../../functions/web/thumbnails.ts';
import { testClients } from './helpers.ts';

describe('thumbnails', () => {
  it('finds the smallest thumbnail at least as wide as asked, else the widest', async () => {
    // Prepare
    const { s3 } = testClients();
    const mock = mockClient(s3);
    mock.on(ListObjectsV2Command, { Prefix: 'images/widget/' }).resolves({});
    mock.on(ListObjectsV2Command, { Prefix: 'images/widget.', Delimiter: '/' }).resolves({
      CommonPrefixes: [{ Prefix: 'images/widget.blue.jpg/' }, { Prefix: 'images/widget.jpg/' }],
    });
    mock.on(ListObjectsV2Command, { Prefix: 'images/widget.jpg/' }).resolves({
      Contents: [
        { Key: 'images/widget.jpg/400.webp', Size: 900, ETag: '"b"' },
        { Key: 'images/widget.jpg/200.webp', Size: 300, ETag: '"a"' },
      ],
    });

    // Act
    const small = await findThumbnail(s3, 'thumbnails', 'widget', 150);
    const large = await findThumbnail(s3, 'thumbnails', 'widget', 1000);

    // Assess
    expect(small).toMatchObject({ key: 'images/widget.jpg/200.webp', width: 200, etag: '"a"' });
    expect(large).toMatchObject({ key: 'images/widget.jpg/400.webp', width: 400 });
  });
});

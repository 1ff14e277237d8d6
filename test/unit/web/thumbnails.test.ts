import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { findThumbnail, ImageIndex, itemNamesForImage } from '../../../functions/web/data.ts';
import { body, call, httpEvent, makeHandler, testClients } from './helpers.ts';

describe('thumbnails', () => {
  it('maps an image key to its item with and without the extension', () => {
    // Assess
    expect(itemNamesForImage('images/widget.jpg')).toEqual({
      exact: 'widget.jpg',
      withoutExtension: 'widget',
    });
    expect(itemNamesForImage('images/widget')).toEqual({ exact: 'widget' });
  });

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

  it('serves a thumbnail as base64 image bytes, 304 on a matching ETag, 404 when there is none', async () => {
    // Prepare
    const { handler, clients } = makeHandler();
    const mock = mockClient(clients.s3);
    mock.on(ListObjectsV2Command).resolves({});
    mock.on(ListObjectsV2Command, { Prefix: 'images/gadget/' }).resolves({
      Contents: [{ Key: 'images/gadget/200.webp', Size: 4, ETag: '"etag-1"' }],
    });
    mock
      .on(GetObjectCommand)
      .resolves({ Body: body(new Uint8Array([1, 2, 3, 4])), ContentType: 'image/webp' });

    // Act
    const found = await call(handler, httpEvent('GET', '/items/gadget/thumbnail?w=200'));
    const cached = await call(
      handler,
      httpEvent('GET', '/items/gadget/thumbnail', { headers: { 'if-none-match': '"etag-1"' } }),
    );
    const missing = await call(handler, httpEvent('GET', '/items/nothing/thumbnail'));
    const badWidth = await call(handler, httpEvent('GET', '/items/gadget/thumbnail?w=huge'));

    // Assess
    expect(found.statusCode).toBe(200);
    expect(found.isBase64Encoded).toBe(true);
    expect(Buffer.from(found.body, 'base64')).toEqual(Buffer.from([1, 2, 3, 4]));
    expect(found.headers['content-type']).toBe('image/webp');
    expect(found.headers.etag).toBe('"etag-1"');
    expect(cached.statusCode).toBe(304);
    expect(missing.statusCode).toBe(404);
    expect(badWidth.statusCode).toBe(400);
  });

  it('refuses to serve a thumbnail object that is not an image', async () => {
    // Prepare
    const { handler, clients } = makeHandler();
    const mock = mockClient(clients.s3);
    mock.on(ListObjectsV2Command).resolves({});
    mock.on(ListObjectsV2Command, { Prefix: 'images/x/' }).resolves({
      Contents: [{ Key: 'images/x/200.webp', Size: 10 }],
    });
    mock.on(GetObjectCommand).resolves({ Body: body('<script>'), ContentType: 'text/html' });

    // Act
    const response = await call(handler, httpEvent('GET', '/items/x/thumbnail'));

    // Assess
    expect(response.statusCode).toBe(404);
    expect(response.body).not.toContain('<script>');
  });

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

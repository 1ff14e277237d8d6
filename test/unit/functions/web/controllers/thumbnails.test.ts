import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { body, call, httpEvent, makeHandler } from '../helpers.ts';

describe('GET /items/{item}/thumbnail', () => {
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
});

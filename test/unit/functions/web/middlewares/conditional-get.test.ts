import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { call, httpEvent, makeHandler, storeSummary as store } from '../helpers.ts';

describe('ETag and 304', () => {
  it('answers If-None-Match with the current ETag by 304 without a body', async () => {
    // Prepare
    const { handler, clients } = makeHandler();
    mockClient(clients.documentClient)
      .on(ScanCommand)
      .resolves({ Items: [store('s1', 3)] });
    const first = await call(handler, httpEvent('GET', '/api/stores'));
    const etag = first.headers.etag as string;

    // Act
    const second = await call(
      handler,
      httpEvent('GET', '/api/stores', { headers: { 'if-none-match': etag } }),
    );

    // Assess
    expect(first.statusCode).toBe(200);
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(second.statusCode).toBe(304);
    expect(second.body).toBe('');
    expect(second.headers.etag).toBe(etag);
    expect(second.headers['content-type']).toBeUndefined();
  });

  it('answers 200 with a new ETag once the data changed', async () => {
    // Prepare
    const { handler, clients } = makeHandler();
    mockClient(clients.documentClient)
      .on(ScanCommand)
      .resolvesOnce({ Items: [store('s1', 3)] })
      .resolves({ Items: [store('s1', 4)] });
    const first = await call(handler, httpEvent('GET', '/api/stores'));

    // Act
    const second = await call(
      handler,
      httpEvent('GET', '/api/stores', { headers: { 'if-none-match': first.headers.etag as string } }),
    );

    // Assess
    expect(second.statusCode).toBe(200);
    expect(second.headers.etag).not.toBe(first.headers.etag);
    expect(JSON.parse(second.body).stores[0].itemCount).toBe(4);
  });
});

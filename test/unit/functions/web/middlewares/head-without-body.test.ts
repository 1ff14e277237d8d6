import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { call, httpEvent, makeHandler } from '../helpers.ts';

describe('HEAD', () => {
  it('answers HEAD like GET, without a body', async () => {
    // Prepare
    const { handler, clients } = makeHandler();
    const dynamo = mockClient(clients.documentClient);
    dynamo.on(ScanCommand).resolves({ Items: [] });

    // Act
    const get = await call(handler, httpEvent('GET', '/api/stores'));
    const head = await call(handler, httpEvent('HEAD', '/api/stores'));

    // Assess
    expect(head.statusCode).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers['content-type']).toBe(get.headers['content-type']);
    expect(head.headers.etag).toBe(get.headers.etag);
    expect(get.body).not.toBe('');
  });
});

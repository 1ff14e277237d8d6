import { QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { call, httpEvent, makeHandler, storeSummary as store } from './helpers.ts';

describe('the reads pages and API share', () => {
  it('reads the summaries once per TTL, concurrent requests sharing one Scan', async () => {
    // Prepare
    const { handler, clients } = makeHandler({ summariesTtlMs: 60_000 });
    const dynamo = mockClient(clients.documentClient);
    dynamo.on(ScanCommand).resolves({ Items: [store('s1', 3)] });
    dynamo.on(QueryCommand).resolves({ Items: [] });

    // Act
    const responses = await Promise.all([
      call(handler, httpEvent('GET', '/')),
      call(handler, httpEvent('GET', '/api/stores')),
      call(handler, httpEvent('GET', '/api/stores')),
    ]);
    await call(handler, httpEvent('GET', '/'));

    // Assess
    expect(responses.map((response) => response.statusCode)).toEqual([200, 200, 200]);
    expect(dynamo.commandCalls(ScanCommand)).toHaveLength(1);
  });

  it('answers a store without items with 404', async () => {
    // Prepare
    const { handler, clients } = makeHandler();
    mockClient(clients.documentClient).on(QueryCommand).resolves({ Items: [] });

    // Act
    const page = await call(handler, httpEvent('GET', '/stores/ghost'));
    const api = await call(handler, httpEvent('GET', '/api/stores/ghost/items'));

    // Assess
    expect(page.statusCode).toBe(404);
    expect(page.body).toContain('There is no store named “ghost” with items.');
    expect(api.statusCode).toBe(404);
    expect(api.headers['content-type']).toBe('application/problem+json');
  });
});

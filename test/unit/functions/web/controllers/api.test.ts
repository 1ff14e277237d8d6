import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { call, httpEvent, inventory, makeHandler } from '../helpers.ts';

describe('GET /api/stores/{store}/items cursors', () => {
  it('answers a tampered cursor on the API with 400 problem+json', async () => {
    // Prepare
    const { handler, clients } = makeHandler();
    mockClient(clients.documentClient)
      .on(QueryCommand)
      .resolves({ Items: inventory(10) });

    // Act
    const response = await call(
      handler,
      httpEvent('GET', '/api/stores/s1/items?cursor=eyJ2IjoxfQ.AAAAAAAAAAAA'),
    );

    // Assess
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(response.body).errors).toEqual([
      { parameter: 'cursor', detail: 'is malformed or was modified' },
    ]);
  });

  it('pages the API with nextCursor until it is null', async () => {
    // Prepare
    const { handler, clients } = makeHandler();
    mockClient(clients.documentClient)
      .on(QueryCommand)
      .resolves({ Items: inventory(25) });

    // Act
    const first = JSON.parse(
      (await call(handler, httpEvent('GET', '/api/stores/s1/items?sort=count&order=desc&limit=20'))).body,
    );
    const second = JSON.parse(
      (
        await call(
          handler,
          httpEvent('GET', `/api/stores/s1/items?sort=count&order=desc&limit=20&cursor=${first.nextCursor}`),
        )
      ).body,
    );

    // Assess
    expect(first.items).toHaveLength(20);
    expect(first.total).toBe(25);
    expect(first.items[0]).toMatchObject({ count: 6, status: 'in' });
    expect(second.items).toHaveLength(5);
    expect(second.nextCursor).toBeNull();
    const names = [...first.items, ...second.items].map((item: { item: string }) => item.item);
    expect(new Set(names).size).toBe(25);
  });
});

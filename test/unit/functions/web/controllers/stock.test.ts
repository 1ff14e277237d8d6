import { describe, expect, it } from 'vitest';
import { type Access, grantAccess } from '../../../../../functions/web/auth/access.ts';
import { createStockControllers } from '../../../../../functions/web/controllers/stock.ts';
import type { HttpEvent, HttpResponse } from '../../../../../functions/web/http-event.ts';
import type { ImageIndex } from '../../../../../functions/web/image-index.ts';
import { HttpProblemError } from '../../../../../functions/web/problem.ts';
import type { WebReads } from '../../../../../functions/web/reads.ts';
import { httpEvent, lambdaContext, testConfig } from '../helpers.ts';

const NOW = new Date('2026-03-02T12:00:00Z');
const CHANGE = {
  store: 's1',
  item: 'i1',
  sequence: '1'.padStart(40, '0'),
  changedAt: '2026-03-01T00:00:00Z',
  count: 0,
  previousCount: 3,
  transition: 'out_of_stock' as const,
};

/** Reads that answer from fixed data and remember what they were asked. */
function fakeReads(asked: unknown[]): WebReads {
  const summary = (store: string) => ({
    store,
    itemCount: 1,
    totalUnits: 1,
    outOfStockCount: 0,
    computedAt: '',
  });
  return {
    summaries: async () => [summary('s1'), summary('s2')],
    storeItems: async () => [],
    storeItem: async (store, item) => (store === 's1' && item === 'i1' ? { item, count: 0 } : undefined),
    attention: async (stores, limit) => {
      asked.push({ attention: stores, limit });
      return [{ store: 's1', item: 'i1', status: 'out', count: 0, since: '2026-03-01T00:00:00Z' }];
    },
    itemHistory: async (store, item, limit) => {
      asked.push({ history: [store, item, limit] });
      return store === 's1' && item === 'i1' ? [CHANGE] : [];
    },
    transitions: async (query) => {
      asked.push({ transitions: query });
      return { changes: [CHANGE], next: 'older' };
    },
    itemAcrossStores: async (item, stores) => {
      asked.push({ search: [item, stores] });
      return [{ store: 's1', item, count: 4 }];
    },
    runningImports: async () => [],
    runningImport: async () => undefined,
    anyStoreHasItem: async () => false,
    importReports: async () => ({ entries: [] }),
  };
}

const imageIndex = { thumbnails: async () => new Map() } as unknown as ImageIndex;

function controllers(asked: unknown[]) {
  return createStockControllers({
    config: testConfig,
    reads: fakeReads(asked),
    imageIndex,
    chromeFor: () => ({ uploads: { inventory: false, image: false } }),
    now: () => NOW,
  });
}

function as(access: Access, event: HttpEvent): HttpEvent {
  grantAccess(event, access);
  return event;
}

async function problemOf(answer: Promise<HttpResponse>): Promise<HttpProblemError> {
  const error = await answer.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof HttpProblemError)) throw new Error(`expected an HTTP problem, got ${String(error)}`);
  return error;
}

const MANAGER: Access = { role: 'manager' };
const NORTH_ONLY: Access = { role: 'viewer', stores: new Set(['s2']) };

describe('the stock controllers', () => {
  it('renders an item page from its history, with the item’s path parameters', async () => {
    // Prepare
    const asked: unknown[] = [];
    const event = as(MANAGER, {
      ...httpEvent('GET', '/stores/s1/items/i1'),
      pathParameters: { store: 's1', item: 'i1' },
    });

    // Act
    const response = await controllers(asked).itemPage(event, lambdaContext);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('Item <span class="name">i1</span>');
    expect(asked).toContainEqual({ history: ['s1', 'i1', 500] });
  });

  it('answers 404 for an item with neither a count nor a history, and for a store the user may not see', async () => {
    // Prepare
    const stock = controllers([]);
    const unknown = as(MANAGER, {
      ...httpEvent('GET', '/stores/s1/items/x'),
      pathParameters: { store: 's1', item: 'x' },
    });
    const hidden = as(NORTH_ONLY, {
      ...httpEvent('GET', '/stores/s1/items/i1'),
      pathParameters: { store: 's1', item: 'i1' },
    });

    // Assess
    expect((await problemOf(stock.itemPage(unknown, lambdaContext))).status).toBe(404);
    expect((await problemOf(stock.apiItemHistory(hidden, lambdaContext))).status).toBe(404);
  });

  it('asks for the alerts of the stores the user sees, and of one store only when filtered', async () => {
    // Prepare
    const asked: unknown[] = [];
    const stock = controllers(asked);

    // Act
    const all = await stock.apiAlerts(as(NORTH_ONLY, httpEvent('GET', '/api/alerts')), lambdaContext);
    await stock.alertsPage(
      as(MANAGER, httpEvent('GET', '/alerts?store=s1&type=out_of_stock&before=x')),
      lambdaContext,
    );
    const refused = await problemOf(
      stock.apiAlerts(as(NORTH_ONLY, httpEvent('GET', '/api/alerts?store=s1')), lambdaContext),
    );
    const badType = await problemOf(
      stock.apiAlerts(as(MANAGER, httpEvent('GET', '/api/alerts?type=sideways')), lambdaContext),
    );

    // Assess
    expect(asked).toContainEqual({
      transitions: { stores: ['s2'], limit: 50, before: undefined, type: undefined },
    });
    expect(asked).toContainEqual({
      transitions: { stores: ['s1'], limit: 50, before: 'x', type: 'out_of_stock' },
    });
    expect(JSON.parse(all.body)).toEqual({
      alerts: [
        {
          store: 's1',
          item: 'i1',
          changedAt: CHANGE.changedAt,
          count: 0,
          previousCount: 3,
          transition: 'out_of_stock',
        },
      ],
      next: 'older',
    });
    expect(refused.status).toBe(404);
    expect(badType.status).toBe(400);
    expect(JSON.stringify(badType)).toContain('must be one of: all, out_of_stock, back_in_stock');
  });

  it('searches a trimmed item code within the user’s stores, and not at all for an empty box', async () => {
    // Prepare
    const asked: unknown[] = [];
    const stock = controllers(asked);

    // Act
    const found = await stock.apiSearch(
      as(NORTH_ONLY, httpEvent('GET', '/api/search?item=%20sku-1%20')),
      lambdaContext,
    );
    const empty = await stock.searchPage(as(MANAGER, httpEvent('GET', '/search?item=%20')), lambdaContext);

    // Assess
    expect(asked).toEqual([{ search: ['sku-1', ['s2']] }]);
    expect(JSON.parse(found.body)).toEqual({
      item: 'sku-1',
      stores: [{ store: 's1', item: 'sku-1', count: 4, status: 'low', updatedAt: null }],
    });
    expect(empty.statusCode).toBe(200);
    expect(empty.body).toContain('Type an item');
  });

  it('lists what needs attention as JSON, for every store or the user’s', async () => {
    // Prepare
    const asked: unknown[] = [];

    // Act
    const response = await controllers(asked).apiAttention(
      as(MANAGER, httpEvent('GET', '/api/attention')),
      lambdaContext,
    );

    // Assess
    expect(asked).toEqual([{ attention: 'all', limit: 100 }]);
    expect(JSON.parse(response.body).items).toHaveLength(1);
  });
});

import { describe, expect, it } from 'vitest';
import { renderSearchPage } from '../../../../functions/web/render-search.ts';

const CHROME = { uploads: { inventory: false, image: false }, session: 'sign-in-off' as const };

describe('the search page', () => {
  it('shows each store that has the item, with its count and status in words', () => {
    // Act
    const page = renderSearchPage(
      {
        item: 'sku-1',
        results: [
          { store: 'north', item: 'sku-1', count: 0, updatedAt: '2026-03-01T00:00:00Z' },
          { store: 'south', item: 'sku-1', count: 3 },
          { store: 'west', item: 'sku-1', count: 40 },
        ],
        lowStockThreshold: 5,
      },
      CHROME,
    );

    // Assess
    expect(page).toContain('sku-1: in stock at 2 of the\n3 stores that have it');
    expect(page).toMatch(
      /<tr class="status-out">\s*<th scope="row"><a href="\/stores\/north">north<\/a><\/th>/,
    );
    expect(page).toContain('<a href="/stores/south/items/sku-1">3</a>');
    expect(page).toMatch(/status-low[\s\S]*▲<\/span> Low/);
    expect(page).toContain('value="sku-1"');
    // The page's own form replaces the header's.
    expect(page).not.toContain('site-search');
  });

  it('says plainly that nothing matched, and that codes match exactly', () => {
    // Act
    const page = renderSearchPage({ item: '<x>', results: [], lowStockThreshold: 5 }, CHROME);

    // Assess
    expect(page).toContain('No store has an item named <code>&lt;x&gt;</code>');
    expect(page).toContain('matched\nexactly');
  });

  it('shows the form alone before a search', () => {
    // Act
    const page = renderSearchPage({ results: [], lowStockThreshold: 5 }, CHROME);

    // Assess
    expect(page).toContain('<label for="search-item">Item code</label>');
    expect(page).not.toContain('<table');
  });
});

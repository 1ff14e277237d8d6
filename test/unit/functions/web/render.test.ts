import { describe, expect, it } from 'vitest';
import { SafeHtml } from '../../../../functions/web/html.ts';
import { renderStorePage } from '../../../../functions/web/render.ts';

describe('rendering', () => {
  it('highlights out-of-stock and low rows with a text label, not colour alone', () => {
    // Act
    const page = renderStorePage(
      {
        store: 's1',
        items: {
          entries: [
            { item: 'empty', count: 0 },
            { item: 'few', count: 3 },
            { item: 'plenty', count: 30 },
          ],
          page: 1,
          pageCount: 1,
          total: 3,
        },
        query: { status: 'all', sort: 'item', order: 'asc' },
        lowStockThreshold: 5,
        thumbnailLinks: new Map([
          ['plenty', '/thumbnails/images/plenty/200.webp?expires=7200&signature=abc'],
        ]),
        storeItemCount: 3,
        sparklines: new Map([['few', new SafeHtml('<svg class="sparkline"></svg>')]]),
      },
      { uploads: { inventory: true, image: true } },
    );

    // Assess
    expect(page).toMatch(
      /<tr class="status-out">\s*<td class="thumb"><\/td>\s*<th scope="row"><a href="\/stores\/s1\/items\/empty">empty<\/a><\/th>/,
    );
    // Each item's sparkline sits in its row's last cell; an item without one has an empty cell.
    expect(page).toContain('<td class="trend"><svg class="sparkline"></svg></td>');
    expect(page).toContain('<td class="trend"></td>');
    // Each status is a shape (hidden from screen readers) and words, not only a colour.
    expect(page).toContain(
      '<span class="badge badge-out"><span class="icon" aria-hidden="true">●</span> Out of stock</span>',
    );
    expect(page).toContain(
      '<span class="badge badge-low"><span class="icon" aria-hidden="true">▲</span> Low</span>',
    );
    expect(page).toContain('<td class="status">');
    expect(page).toContain('<li><a href="#uploads">Upload</a></li>');
    expect(page).toContain('<section class="uploads" id="uploads"');
    expect(page).toContain(
      '<img src="/thumbnails/images/plenty/200.webp?expires=7200&amp;signature=abc" alt="" width="64" height="64" loading="lazy">',
    );
    expect(page).toContain('<html lang="en">');
    expect(page).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(page).toContain('<label for="status">Status</label>');
  });
});

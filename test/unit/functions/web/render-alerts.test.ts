import { describe, expect, it } from 'vitest';
import { renderAlertsPage } from '../../../../functions/web/render-alerts.ts';

const CHROME = { uploads: { inventory: false, image: false } };

describe('the alerts page', () => {
  it('lists transitions with their time, item, store and count change, newest first as given', () => {
    // Act
    const page = renderAlertsPage(
      {
        changes: [
          {
            store: 's1',
            item: 'i1',
            sequence: '2'.padStart(40, '0'),
            changedAt: '2026-03-02T10:00:00Z',
            count: 0,
            previousCount: 4,
            transition: 'out_of_stock',
          },
          {
            store: 's2',
            item: '<i2>',
            sequence: '1'.padStart(40, '0'),
            changedAt: '2026-03-01T10:00:00Z',
            count: 7,
            previousCount: 0,
            transition: 'back_in_stock',
          },
        ],
        filter: { type: 'all' },
        stores: ['s1', 's2'],
      },
      CHROME,
    );

    // Assess
    expect(page).toContain('<time datetime="2026-03-02T10:00:00.000Z">2026-03-02 10:00 UTC</time>');
    expect(page).toMatch(/<tr class="status-out">[\s\S]*Out of stock[\s\S]*4 → 0/);
    expect(page).toMatch(/<tr class="status-back">[\s\S]*Back in stock[\s\S]*0 → 7/);
    expect(page).toContain('<a href="/stores/s2/items/%3Ci2%3E">&lt;i2&gt;</a>');
    expect(page.indexOf('>i1</a>')).toBeLessThan(page.indexOf('&lt;i2&gt;'));
    expect(page).toContain('<a href="/alerts" aria-current="page">Alerts</a>');
    expect(page).not.toContain('Older alerts');
  });

  it('keeps the filter in the form and in the link to older alerts', () => {
    // Act
    const page = renderAlertsPage(
      {
        changes: [],
        next: 'cursor&1',
        filter: { store: 's 2', type: 'back_in_stock' },
        stores: ['s1', 's 2'],
      },
      CHROME,
    );

    // Assess
    expect(page).toContain('<option value="s 2" selected>s 2</option>');
    expect(page).toContain('<option value="back_in_stock" selected>Back in stock</option>');
    expect(page).toContain('No alerts for store s 2 in the');
    expect(page).toContain('href="/alerts?store=s+2&amp;type=back_in_stock&amp;before=cursor%261"');
  });
});

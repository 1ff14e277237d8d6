import { describe, expect, it } from 'vitest';
import { renderAttentionSection } from '../../../../functions/web/render-attention.ts';

const NOW = new Date('2026-03-02T12:00:00Z');

function summary(store: string, outOfStockCount: number, lowStockCount: number) {
  return {
    store,
    itemCount: 10,
    totalUnits: 50,
    outOfStockCount,
    lowStockCount,
    computedAt: NOW.toISOString(),
  };
}

describe('the "Needs attention" section', () => {
  it('counts out-of-stock and low items over the stores from their summaries', () => {
    // Act
    const section = renderAttentionSection({
      items: [],
      summaries: [summary('s1', 2, 3), summary('s2', 0, 1), summary('s3', 0, 0)],
      limit: 20,
      now: NOW,
    }).toString();

    // Assess
    expect(section).toContain('2 items out of stock and 4 items low, in 2 stores.');
    expect(section).toContain('<a href="/alerts">Recent alerts</a>');
  });

  it('says so when nothing needs attention', () => {
    // Act
    const section = renderAttentionSection({
      items: [],
      summaries: [summary('s1', 0, 0)],
      limit: 20,
      now: NOW,
    });

    // Assess
    expect(section.toString()).toContain('Nothing needs attention');
    expect(section.toString()).not.toContain('<table');
  });

  it('lists each entry with its status in words, its count, and how long it has been so', () => {
    // Act
    const section = renderAttentionSection({
      items: [
        { store: 's/1', item: '<b>x', status: 'out', count: 0, since: '2026-03-02T08:55:00Z' },
        { store: 's2', item: 'y', status: 'low', count: 2, since: '2026-02-27T12:00:00Z' },
      ],
      summaries: [summary('s/1', 1, 0), summary('s2', 0, 1)],
      limit: 2,
      now: NOW,
    }).toString();

    // Assess
    expect(section).toContain('<a href="/stores/s%2F1/items/%3Cb%3Ex">&lt;b&gt;x</a>');
    expect(section).toContain('<a href="/stores/s%2F1">s/1</a>');
    expect(section).toMatch(
      /<tr class="status-out">[\s\S]*●<\/span> Out of stock[\s\S]*<td class="num">0<\/td>/,
    );
    expect(section).toContain('<time datetime="2026-03-02T08:55:00.000Z">3 h 5 min</time>');
    expect(section).toContain('<time datetime="2026-02-27T12:00:00.000Z">3 days</time>');
    // As many entries as allowed: the caption says these are only the newest.
    expect(section).toContain('The 2 newest, newest first');
    expect(section.indexOf('&lt;b&gt;x')).toBeLessThan(section.indexOf('>y</a>'));
  });
});

import { describe, expect, it } from 'vitest';
import { escapeHtml, href, html, segment } from '../../../../functions/web/html.ts';

describe('html', () => {
  it('escapes the five HTML-significant characters', () => {
    // Act
    const escaped = escapeHtml(`<a href="x" title='y'>&</a>`);

    // Assess
    expect(escaped).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });

  it('escapes interpolated values but not nested templates', () => {
    // Act
    const inner = html`<b>${'<i>'}</b>`;
    const outer = html`<p>${inner}${['<', '>']}${undefined}${false}</p>`;

    // Assess
    expect(outer.toString()).toBe('<p><b>&lt;i&gt;</b>&lt;&gt;</p>');
  });

  it('encodes query parameters and path segments', () => {
    // Assess
    expect(href('/imports', { source: 'inventory/a b&c.csv', empty: '', missing: undefined })).toBe(
      '/imports?source=inventory%2Fa+b%26c.csv',
    );
    expect(href('/')).toBe('/');
    expect(segment('a/b?c#d')).toBe('a%2Fb%3Fc%23d');
  });
});

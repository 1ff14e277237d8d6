import { describe, expect, it } from 'vitest';
import { safeReturnTo, signInLocation } from '../../../../../functions/web/auth/return-to.ts';
import { httpEvent } from '../helpers.ts';

describe('where a sign-in leads back to', () => {
  it('keeps a path on this site and replaces anything else by /', () => {
    // Act
    const kept = ['/', '/stores/Berlin?status=out', '/imports?source=inventory%2Fa.csv'].map(safeReturnTo);
    const replaced = [
      undefined,
      '',
      'https://evil.test',
      '//evil.test',
      '/\\evil.test',
      'stores',
      '/a b',
    ].map(safeReturnTo);

    // Assess
    expect(kept).toEqual(['/', '/stores/Berlin?status=out', '/imports?source=inventory%2Fa.csv']);
    expect(new Set(replaced)).toEqual(new Set(['/']));
  });

  it('asks the sign-in to come back to the page asked for, names with ? # % included', () => {
    // Prepare: the HTTP API hands the path over decoded (a name with / cannot be addressed at all).
    const event = httpEvent('GET', `/stores/${encodeURIComponent('a?c#100%41')}?status=out`);

    // Act
    const location = signInLocation(event);

    // Assess
    const returnTo = new URLSearchParams(location.split('?').slice(1).join('?')).get('returnTo');
    expect(returnTo).toBe(`/stores/${encodeURIComponent('a?c#100%41')}?status=out`);
    expect(safeReturnTo(returnTo ?? '')).toBe(returnTo);
  });
});

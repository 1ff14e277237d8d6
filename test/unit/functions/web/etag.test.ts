import { describe, expect, it } from 'vitest';
import { entityTag, ifNoneMatchSatisfied } from '../../../../functions/web/etag.ts';

describe('If-None-Match', () => {
  it('compares weakly and accepts lists and *', () => {
    // Assess
    expect(ifNoneMatchSatisfied('W/"abc"', '"abc"')).toBe(true);
    expect(ifNoneMatchSatisfied('"x", "abc"', '"abc"')).toBe(true);
    expect(ifNoneMatchSatisfied('*', '"abc"')).toBe(true);
    expect(ifNoneMatchSatisfied('"abd"', '"abc"')).toBe(false);
    expect(ifNoneMatchSatisfied(undefined, '"abc"')).toBe(false);
  });

  it('makes a quoted strong tag that changes with the content', () => {
    // Act
    const tag = entityTag('one');

    // Assess
    expect(tag).toMatch(/^"[\w-]+"$/);
    expect(entityTag('one')).toBe(tag);
    expect(entityTag('two')).not.toBe(tag);
  });
});

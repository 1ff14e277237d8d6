import { describe, expect, it } from 'vitest';
import { InventoryFileRejectedError } from '../../../../shared/inventory/errors.ts';
import { resolveColumns, validateInventoryRow } from '../../../../shared/inventory/rows.ts';

const layout = resolveColumns(['store', 'item', 'count']);

describe('resolveColumns', () => {
  it('finds the columns in any order and case, ignoring spaces, and lists the others', () => {
    // Act
    const result = resolveColumns([' Count ', 'notes', 'ITEM', 'Store', 'aisle']);

    // Assess
    expect(result).toEqual({
      indexes: { store: 3, item: 2, count: 0 },
      width: 5,
      ignoredColumns: ['notes', 'aisle'],
    });
  });

  it('rejects a header wider than the column cap, saying how wide', () => {
    // Prepare
    const wide = ['store', 'item', 'count', ...Array.from({ length: 98 }, (_, i) => `c${i}`)];

    // Act
    const act = () => resolveColumns(wide);

    // Assess
    expect(() => resolveColumns(wide.slice(0, 100))).not.toThrow();
    expect(act).toThrow(expect.objectContaining({ reason: 'too_many_columns' }));
    expect(act).toThrow(/101 columns; at most 100/);
    expect(() => resolveColumns(['store', 'item', 'count', 'x'], 3)).toThrow(/at most 3/);
  });

  it('rejects a header that lacks a required column, naming it', () => {
    // Act
    const act = () => resolveColumns(['store', 'sku', 'qty']);

    // Assess
    expect(act).toThrow(InventoryFileRejectedError);
    expect(act).toThrow(/"item", "count"/);
  });

  it('rejects a header naming a required column twice', () => {
    // Act
    const act = () => resolveColumns(['store', 'item', 'count', 'Count']);

    // Assess
    expect(act).toThrow(expect.objectContaining({ reason: 'duplicate_columns' }));
  });
});

describe('validateInventoryRow', () => {
  it('trims the cells and reads the count', () => {
    // Act
    const result = validateInventoryRow(['  s1 ', ' apple', ' 42 '], layout);

    // Assess
    expect(result).toEqual({ ok: true, row: { store: 's1', item: 'apple', count: 42 } });
  });

  it.each(['0', '007', '9007199254740991'])('accepts the count %j', (count) => {
    // Act
    const result = validateInventoryRow(['s1', 'a', count], layout);

    // Assess
    expect(result).toEqual({ ok: true, row: { store: 's1', item: 'a', count: Number(count) } });
  });

  it.each(['1.5', '-1', '1e3', '', '   ', 'abc', '+5', '0x10', '٣', '9007199254740992'])(
    'rejects the count %j',
    (count) => {
      // Act
      const result = validateInventoryRow(['s1', 'a', count], layout);

      // Assess
      expect(result.ok).toBe(false);
      expect(result.ok ? '' : result.reason).toMatch(/count/);
    },
  );

  it('keeps formula-like text as text', () => {
    // Act
    const result = validateInventoryRow(['s1', '=HYPERLINK("http://x","y")', '1'], layout);

    // Assess
    expect(result).toEqual({ ok: true, row: { store: 's1', item: '=HYPERLINK("http://x","y")', count: 1 } });
  });

  it.each([
    ['an empty store', ['  ', 'a', '1'], 'store is empty'],
    ['an empty item', ['s1', '', '1'], 'item is empty'],
    ['a store over 2048 bytes', ['é'.repeat(1025), 'a', '1'], 'store is longer than 2048 bytes'],
    ['an item over 1024 bytes', ['s1', 'x'.repeat(1025), '1'], 'item is longer than 1024 bytes'],
    ['too few fields', ['s1', 'a'], 'expected 3 fields (as in the header), found 2'],
    ['too many fields', ['s1', 'a', '1', ''], 'expected 3 fields (as in the header), found 4'],
  ])('rejects %s', (_name, fields, reason) => {
    // Act
    const result = validateInventoryRow(fields, layout);

    // Assess
    expect(result).toEqual({ ok: false, reason });
  });

  it('accepts keys exactly at the size limits', () => {
    // Act
    const result = validateInventoryRow(['é'.repeat(1024), 'x'.repeat(1024), '1'], layout);

    // Assess
    expect(result.ok).toBe(true);
  });

  it('lists every problem of a row and echoes a bad count briefly', () => {
    // Act
    const result = validateInventoryRow(['', 'a', '1.5'], layout);

    // Assess
    expect(result).toEqual({
      ok: false,
      reason: 'store is empty; count must be a whole number ≥ 0 (got "1.5")',
    });
  });
});

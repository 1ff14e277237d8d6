import { describe, expect, it } from 'vitest';
import { isFolderMarker, isGzipKey, isInventoryFileKey } from '../../../../shared/inventory/files.ts';

describe('inventory files', () => {
  it.each([
    ['inventory/counts.csv', true],
    ['inventory/COUNTS.CSV', true],
    ['inventory/week.Csv.GZ', true],
    ['inventory/a.csv.gz', true],
    ['inventory/counts.xlsx', false],
    ['inventory/counts.csv.zip', false],
    ['inventory/csv', false],
  ])('%s is an inventory file: %s', (key, expected) => {
    // Assess
    expect(isInventoryFileKey(key)).toBe(expected);
  });

  it('gunzips .gz in any case, and knows a folder marker', () => {
    // Assess
    expect([isGzipKey('a.csv.gz'), isGzipKey('a.CSV.GZ'), isGzipKey('a.csv')]).toEqual([true, true, false]);
    expect([isFolderMarker('inventory/'), isFolderMarker('inventory/a.csv')]).toEqual([true, false]);
  });
});

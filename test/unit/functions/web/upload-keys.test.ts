import { describe, expect, it } from 'vitest';
import {
  MAX_CSV_BYTES,
  MAX_IMAGE_BYTES,
  safeFileName,
  uploadTarget,
} from '../../../../functions/web/upload-keys.ts';

describe('upload keys', () => {
  it('makes file names safe for keys while keeping the suffix the import listens for', () => {
    // Assess
    expect(safeFileName('../../etc/passwd.csv')).toBe('passwd.csv');
    expect(safeFileName('Stock <May>.CSV.GZ')).toBe('Stock-May.csv.gz');
    expect(safeFileName('.csv')).toBe('inventory.csv');
  });

  it('stamps a CSV key with the date, the time and a random part', () => {
    // Prepare
    const at = new Date('2025-03-04T05:06:07.000Z');

    // Act
    const first = uploadTarget({ kind: 'inventory', filename: 'stock.csv.gz' }, at);
    const second = uploadTarget({ kind: 'inventory', filename: 'stock.csv.gz' }, at);

    // Assess
    expect(first.key).toMatch(/^inventory\/2025-03-04\/050607-[0-9a-f]{8}-stock\.csv\.gz$/);
    expect(first.key).not.toBe(second.key);
    expect(first).toMatchObject({ contentType: 'application/gzip', maxBytes: MAX_CSV_BYTES });
  });

  it('puts a photo at images/<item> with the extension of its type', () => {
    // Act
    const target = uploadTarget({ kind: 'image', item: 'bolt', contentType: 'image/jpeg' }, new Date());

    // Assess
    expect(target).toEqual({ key: 'images/bolt.jpg', contentType: 'image/jpeg', maxBytes: MAX_IMAGE_BYTES });
  });
});

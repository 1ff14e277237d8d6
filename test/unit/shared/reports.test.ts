import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { progressKeyFor, reportKeyFor } from '../../../shared/reports.ts';

describe('report keys', () => {
  it('keeps the source key verbatim under reports/<flow>/', () => {
    // Assess
    expect(reportKeyFor('inventory', 'inventory/counts.csv')).toBe(
      'reports/inventory/inventory/counts.csv.json',
    );
    expect(reportKeyFor('images', 'images/red shoe.jpg')).toBe('reports/images/images/red shoe.jpg.json');
  });

  it('puts the report of a key too long for that under the key’s SHA-256, and every report key fits S3', () => {
    // Prepare: `reports/inventory/` + key + `.json` is 23 bytes more than the key.
    const longest = `inventory/${'a'.repeat(1024 - 23 - 10)}`;
    const tooLong = `${longest}b`;

    // Act
    const fits = reportKeyFor('inventory', longest);
    const hashed = reportKeyFor('inventory', tooLong);

    // Assess
    expect(Buffer.byteLength(fits)).toBe(1024);
    expect(fits).toBe(`reports/inventory/${longest}.json`);
    expect(hashed).toBe(
      `reports/inventory/too-long/${createHash('sha256').update(tooLong).digest('hex')}.json`,
    );
    expect(reportKeyFor('images', `images/${'é'.repeat(508)}a`)).toMatch(
      /^reports\/images\/too-long\/[0-9a-f]{64}\.json$/,
    );
  });

  it('keeps a running import’s progress apart from its report, and hashes a key too long for that', () => {
    // Prepare: `reports/progress/inventory/` + key + `.json` is 32 bytes more than the key.
    const longest = `inventory/${'a'.repeat(1024 - 32 - 10)}`;
    const tooLong = `${longest}b`;

    // Act
    const plain = progressKeyFor('inventory/counts.csv');
    const fits = progressKeyFor(longest);
    const hashed = progressKeyFor(tooLong);

    // Assess
    expect(plain).toBe('reports/progress/inventory/inventory/counts.csv.json');
    expect(plain).not.toBe(reportKeyFor('inventory', 'inventory/counts.csv'));
    expect(Buffer.byteLength(fits)).toBe(1024);
    expect(hashed).toBe(
      `reports/progress/inventory/too-long/${createHash('sha256').update(tooLong).digest('hex')}.json`,
    );
  });
});

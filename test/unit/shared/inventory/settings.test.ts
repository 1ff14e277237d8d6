import { describe, expect, it } from 'vitest';
import { DEFAULT_FILE_LIMITS } from '../../../../shared/inventory/limits.ts';
import {
  importSettingsEnvironmentSchema,
  importSettingsFrom,
} from '../../../../shared/inventory/settings.ts';

const required = { UPLOADS_BUCKET: 'uploads', INVENTORY_TABLE: 'inventory' };

describe('importSettingsFrom', () => {
  it('caps hostile files at the default limits when nothing is set', () => {
    // Act
    const settings = importSettingsFrom(importSettingsEnvironmentSchema.parse(required));

    // Assess
    expect(settings.fileLimits).toEqual(DEFAULT_FILE_LIMITS);
    expect(DEFAULT_FILE_LIMITS).toEqual({
      maxColumns: 100,
      maxHeaderBytes: 65_536,
      maxGunzippedBytes: 2 ** 31,
      maxGzipRatio: 200,
    });
  });

  it('reads each cap from its variable', () => {
    // Act
    const settings = importSettingsFrom(
      importSettingsEnvironmentSchema.parse({
        ...required,
        INVENTORY_MAX_COLUMNS: '20',
        INVENTORY_MAX_HEADER_BYTES: '4096',
        INVENTORY_MAX_GUNZIPPED_BYTES: '1048576',
        INVENTORY_MAX_GZIP_RATIO: '50',
      }),
    );

    // Assess
    expect(settings.fileLimits).toEqual({
      maxColumns: 20,
      maxHeaderBytes: 4096,
      maxGunzippedBytes: 1_048_576,
      maxGzipRatio: 50,
    });
  });

  it.each([
    ['a header cap above what the workflow’s state can carry', { INVENTORY_MAX_HEADER_BYTES: '131072' }],
    ['fewer columns than the three required', { INVENTORY_MAX_COLUMNS: '2' }],
    ['a ratio below 1', { INVENTORY_MAX_GZIP_RATIO: '0.5' }],
  ])('refuses %s', (_name, env) => {
    // Act
    const result = importSettingsEnvironmentSchema.safeParse({ ...required, ...env });

    // Assess
    expect(result.success).toBe(false);
  });
});

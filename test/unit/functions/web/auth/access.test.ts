import { describe, expect, it } from 'vitest';
import {
  AccessNotCheckedError,
  accessFromClaims,
  accessOf,
  canUpload,
  seesImportReports,
  seesStore,
  visibleStores,
} from '../../../../../functions/web/auth/access.ts';
import { httpEvent } from '../helpers.ts';

describe('access from a token’s groups', () => {
  it('makes a manager a reader and uploader, a viewer a reader, and anyone else nothing', () => {
    // Act
    const manager = accessFromClaims({ sub: 's1', email: 'm@x', 'cognito:groups': ['viewer', 'manager'] });
    const viewer = accessFromClaims({ sub: 's2', 'cognito:groups': ['viewer'], username: 'v' });
    const nobody = accessFromClaims({ sub: 's3', 'cognito:groups': ['store:Berlin', 42] });
    const noGroups = accessFromClaims({ sub: 's4' });

    // Assess
    expect(manager).toMatchObject({ role: 'manager', signedInAs: 'm@x', subject: 's1' });
    expect(canUpload(manager)).toBe(true);
    expect(viewer).toMatchObject({ role: 'viewer', signedInAs: 'v' });
    expect(canUpload(viewer)).toBe(false);
    expect(nobody.role).toBeUndefined();
    expect(noGroups).toEqual({ role: undefined, signedInAs: 's4', subject: 's4' });
  });

  it('limits the stores to the store: groups, and shows every store without one', () => {
    // Prepare
    const scoped = accessFromClaims({ 'cognito:groups': ['viewer', 'store:Berlin', 'store:Köln'] });
    const unscoped = accessFromClaims({ 'cognito:groups': ['viewer'] });
    const stores = [{ store: 'Berlin' }, { store: 'Paris' }, { store: 'Köln' }];

    // Act
    const visible = visibleStores(scoped, stores);

    // Assess
    expect(visible).toEqual([{ store: 'Berlin' }, { store: 'Köln' }]);
    expect(seesStore(scoped, 'Paris')).toBe(false);
    expect(seesImportReports(scoped)).toBe(false);
    expect(visibleStores(unscoped, stores)).toEqual(stores);
    expect(seesImportReports(unscoped)).toBe(true);
  });

  it('fails loudly when a controller asks for the access of a request nobody checked', () => {
    // Act
    const unchecked = () => accessOf(httpEvent('GET', '/'));

    // Assess
    expect(unchecked).toThrow(AccessNotCheckedError);
  });
});

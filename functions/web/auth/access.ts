import type { HttpEvent } from '../http-event.ts';

/**
 * What a signed-in user may do, from the groups in their token's `cognito:groups` claim
 * (Cognito puts a user's groups in both the ID and the access token; the local provider too):
 * - `manager`: read and upload; `viewer`: read only; in neither: signed in, but no access.
 * - `store:<name>`: the user sees only the stores named so; without any, every store.
 */
export type Role = 'manager' | 'viewer';

export const GROUPS_CLAIM = 'cognito:groups';
export const STORE_GROUP_PREFIX = 'store:';

export interface Access {
  /** Who is signed in, for the page header; undefined when sign-in is off. */
  signedInAs?: string;
  /** The token's subject, recorded on uploads. */
  subject?: string;
  role: Role | undefined;
  /** The stores the user may see; undefined: every store. */
  stores?: ReadonlySet<string>;
  /**
   * The access token of the session, which the page's own script sends with an upload: API
   * Gateway's JWT authorizer on `POST /api/uploads` reads only the Authorization header.
   */
  accessToken?: string;
}

/** `AUTH_MODE=none`: everyone may do everything (the local cloud only). */
export const OPEN_ACCESS: Access = { role: 'manager' };

function groupsOf(claims: Record<string, unknown>): string[] {
  const groups = claims[GROUPS_CLAIM];
  return Array.isArray(groups) ? groups.filter((group): group is string => typeof group === 'string') : [];
}

/** A user's access from the claims of a verified ID or access token. */
export function accessFromClaims(claims: Record<string, unknown>, accessToken?: string): Access {
  const groups = groupsOf(claims);
  const stores = groups
    .filter((group) => group.startsWith(STORE_GROUP_PREFIX))
    .map((group) => group.slice(STORE_GROUP_PREFIX.length));
  const role = groups.includes('manager') ? 'manager' : groups.includes('viewer') ? 'viewer' : undefined;
  // Cognito's access tokens carry `username`, not `email`.
  const name = [claims.email, claims.username, claims.sub].find((value) => typeof value === 'string');
  return {
    role,
    ...(typeof name === 'string' ? { signedInAs: name } : {}),
    ...(typeof claims.sub === 'string' ? { subject: claims.sub } : {}),
    ...(stores.length > 0 ? { stores: new Set(stores) } : {}),
    ...(accessToken ? { accessToken } : {}),
  };
}

export function canUpload(access: Access): boolean {
  return access.role === 'manager';
}

export function seesStore(access: Access, store: string): boolean {
  return !access.stores || access.stores.has(store);
}

/** Import reports list rows of every store: only users who see every store see them. */
export function seesImportReports(access: Access): boolean {
  return !access.stores;
}

/** The stores among `entries` the user may see. */
export function visibleStores<T extends { store: string }>(access: Access, entries: T[]): T[] {
  return access.stores ? entries.filter((entry) => seesStore(access, entry.store)) : entries;
}

/** The stores a user may see, as the stock tables' reads take them: `all`, or the list (sorted). */
export function storeScopeOf(access: Access): 'all' | string[] {
  return access.stores ? [...access.stores].sort() : 'all';
}

/** The access the sign-in middleware granted to a request, by event. */
const granted = new WeakMap<HttpEvent, Access>();

export function grantAccess(event: HttpEvent, access: Access): void {
  granted.set(event, access);
}

export class AccessNotCheckedError extends Error {
  override name = 'AccessNotCheckedError';
}

/**
 * The access of the request, as the sign-in middleware checked it. A controller that asks for
 * it on a request the middleware let through unchecked (a public route) is a bug: it fails.
 */
export function accessOf(event: HttpEvent): Access {
  const access = granted.get(event);
  if (!access)
    throw new AccessNotCheckedError('This request reached a controller without a checked sign-in.');
  return access;
}

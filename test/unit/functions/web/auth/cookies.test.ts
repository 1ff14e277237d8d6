import { describe, expect, it } from 'vitest';
import {
  CookieTooLargeError,
  clearCookie,
  requestCookies,
  sessionTokensOf,
  setCookie,
} from '../../../../../functions/web/auth/cookies.ts';
import { httpEvent } from '../helpers.ts';

describe('cookies', () => {
  it('reads the cookies API Gateway hands over in event.cookies, and the cookie header', () => {
    // Prepare
    const event = httpEvent('GET', '/', {
      cookies: ['stockroom_id=a.b.c', 'stockroom_id=shadowed', 'other=x%3Dy'],
      headers: { cookie: 'stockroom_refresh=r1; broken' },
    });

    // Act
    const cookies = requestCookies(event);

    // Assess
    expect(cookies.get('stockroom_id')).toBe('a.b.c');
    expect(cookies.get('other')).toBe('x=y');
    expect(sessionTokensOf(cookies)).toEqual({ idToken: 'a.b.c', refreshToken: 'r1' });
  });

  it('sets cookies HttpOnly, Secure and SameSite=Lax, and clears them with Max-Age=0', () => {
    // Act
    const set = setCookie('stockroom_access', 'token', { path: '/auth', maxAgeSeconds: 60 });
    const cleared = clearCookie('stockroom_access');

    // Assess
    expect(set).toBe('stockroom_access=token; Path=/auth; HttpOnly; Secure; SameSite=Lax; Max-Age=60');
    expect(cleared).toBe('stockroom_access=; Path=/; HttpOnly; Secure; SameSite=Lax; Max-Age=0');
  });

  it('refuses to set a cookie a browser would drop (over 4 KB)', () => {
    // Prepare: a Cognito refresh token is about 1.8 KB, an ID token with a few groups about 1.2 KB.
    const fits = 'x'.repeat(3900);
    const tooLarge = 'x'.repeat(4096);

    // Act
    const set = setCookie('stockroom_refresh', fits);

    // Assess
    expect(Buffer.byteLength(set)).toBeLessThanOrEqual(4096);
    expect(() => setCookie('stockroom_refresh', tooLarge)).toThrow(CookieTooLargeError);
  });
});

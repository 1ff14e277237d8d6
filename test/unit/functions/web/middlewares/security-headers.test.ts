import { describe, expect, it } from 'vitest';
import { call, httpEvent, makeHandler } from '../helpers.ts';

describe('security headers', () => {
  it('puts the security headers on every response, errors included', async () => {
    // Prepare
    const { handler } = makeHandler();

    // Act
    const responses = [
      await call(handler, httpEvent('GET', '/healthz')),
      await call(handler, httpEvent('GET', '/missing')),
      await call(handler, httpEvent('PUT', '/api/stores')),
    ];

    // Assess
    for (const response of responses) {
      const csp = response.headers['content-security-policy'];
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("base-uri 'none'");
      expect(csp).toContain("form-action 'self' https://uploads.s3.eu-west-1.amazonaws.com");
      // Images only from the distribution's thumbnails path, on the request's own origin.
      expect(csp).toContain(
        'img-src https://dashboard.test/thumbnails/ https://dashboard.test/assets/favicon.svg;',
      );
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['x-frame-options']).toBe('DENY');
      // same-origin, not no-referrer: a form POST must carry the dashboard's Origin (CSRF check).
      expect(response.headers['referrer-policy']).toBe('same-origin');
      expect(response.headers['strict-transport-security']).toMatch(/^max-age=/);
    }
  });

  it('leaves out Strict-Transport-Security in the local cloud (plain HTTP)', async () => {
    // Prepare
    const { handler } = makeHandler({ config: { strictTransportSecurity: false } });

    // Act
    const response = await call(handler, httpEvent('GET', '/healthz'));

    // Assess
    expect(response.headers['strict-transport-security']).toBeUndefined();
  });

  it('allows images from exactly the thumbnails path of the configured dashboard origin', async () => {
    // Prepare
    const { handler } = makeHandler({ config: { publicOrigin: 'https://stock.example.com' } });

    // Act
    const response = await call(handler, httpEvent('GET', '/healthz'));
    const directives = (response.headers['content-security-policy'] ?? '').split('; ');

    // Assess
    expect(directives.filter((directive) => directive.startsWith('img-src'))).toEqual([
      'img-src https://stock.example.com/thumbnails/ https://stock.example.com/assets/favicon.svg',
    ]);
  });
});

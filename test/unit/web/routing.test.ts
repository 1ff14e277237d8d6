import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { call, httpEvent, makeHandler } from './helpers.ts';

describe('routing', () => {
  it('answers /healthz with 200 {"status":"ok"}', async () => {
    // Prepare
    const { handler } = makeHandler();

    // Act
    const response = await call(handler, httpEvent('GET', '/healthz'));

    // Assess
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ status: 'ok' });
  });

  it('answers an unknown page path with an HTML 404 that names the path', async () => {
    // Prepare
    const { handler } = makeHandler();

    // Act
    const response = await call(handler, httpEvent('GET', '/nowhere'));

    // Assess
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.body).toContain('There is nothing at /nowhere.');
  });

  it('answers an unknown API path with a problem+json 404', async () => {
    // Prepare
    const { handler } = makeHandler();

    // Act
    const response = await call(handler, httpEvent('GET', '/api/nowhere'));

    // Assess
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(response.body)).toMatchObject({
      type: 'about:blank',
      title: 'Not Found',
      status: 404,
      instance: '/api/nowhere',
    });
  });

  it('answers a wrong method with 405 and an Allow header', async () => {
    // Prepare
    const { handler } = makeHandler();

    // Act
    const deleteStores = await call(handler, httpEvent('DELETE', '/api/stores'));
    const getUploads = await call(handler, httpEvent('GET', '/api/uploads'));
    const postStore = await call(handler, httpEvent('POST', '/stores/s1'));

    // Assess
    expect(deleteStores.statusCode).toBe(405);
    expect(deleteStores.headers.allow).toBe('GET, HEAD');
    expect(JSON.parse(deleteStores.body).detail).toContain('DELETE is not supported on /api/stores');
    expect(getUploads.statusCode).toBe(405);
    expect(getUploads.headers.allow).toBe('POST');
    expect(postStore.statusCode).toBe(405);
    expect(postStore.headers['content-type']).toMatch(/^text\/html/);
  });

  it('answers HEAD like GET, without a body', async () => {
    // Prepare
    const { handler, clients } = makeHandler();
    const dynamo = mockClient(clients.documentClient);
    dynamo.on(ScanCommand).resolves({ Items: [] });

    // Act
    const get = await call(handler, httpEvent('GET', '/api/stores'));
    const head = await call(handler, httpEvent('HEAD', '/api/stores'));

    // Assess
    expect(head.statusCode).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers['content-type']).toBe(get.headers['content-type']);
    expect(head.headers.etag).toBe(get.headers.etag);
    expect(get.body).not.toBe('');
  });

  it('serves the stylesheet and the script from the function', async () => {
    // Prepare
    const { handler } = makeHandler();

    // Act
    const css = await call(handler, httpEvent('GET', '/assets/app.css'));
    const js = await call(handler, httpEvent('GET', '/assets/app.js'));

    // Assess
    expect(css.statusCode).toBe(200);
    expect(css.headers['content-type']).toMatch(/^text\/css/);
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toMatch(/^text\/javascript/);
    expect(js.body).toContain('/api/uploads');
  });

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
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['x-frame-options']).toBe('DENY');
      expect(response.headers['referrer-policy']).toBe('no-referrer');
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
});

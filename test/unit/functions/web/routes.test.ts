import { describe, expect, it } from 'vitest';
import { call, httpEvent, makeHandler } from './helpers.ts';

describe('routing', () => {
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
});

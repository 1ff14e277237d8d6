import { describe, expect, it } from 'vitest';
import { call, httpEvent, makeHandler } from './helpers.ts';

describe('input validation', () => {
  it('answers a bad API query parameter with a 400 problem+json naming it', async () => {
    // Prepare
    const { handler } = makeHandler();

    // Act
    const response = await call(handler, httpEvent('GET', '/api/stores/s1/items?status=broken&limit=0'));

    // Assess
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toBe('application/problem+json');
    const problem = JSON.parse(response.body);
    expect(problem).toMatchObject({
      type: 'urn:stockroom:problem:invalid-parameter',
      title: 'Invalid request parameter',
      status: 400,
      instance: '/api/stores/s1/items',
    });
    expect(problem.detail).toContain('status');
    expect(problem.errors.map((e: { parameter: string }) => e.parameter).sort()).toEqual(['limit', 'status']);
  });

  it('answers a bad page query parameter with a friendly HTML 400 page', async () => {
    // Prepare
    const { handler } = makeHandler();

    // Act
    const response = await call(handler, httpEvent('GET', '/stores/s1?sort=<b>price</b>&page=-2'));

    // Assess
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.body).toContain('<h1>Invalid request parameter</h1>');
    expect(response.body).toContain('<code>sort</code>');
    expect(response.body).toContain('<code>page</code>');
    expect(response.body).not.toContain('<b>price</b>');
  });

  it('rejects a store name with control characters', async () => {
    // Prepare
    const { handler } = makeHandler();

    // Act
    const response = await call(handler, httpEvent('GET', '/api/stores/a%07b/items'));

    // Assess
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body).errors[0].parameter).toBe('store');
  });
});

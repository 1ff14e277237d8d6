import { QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { type Captured, call, httpEvent, makeHandler } from './helpers.ts';

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

  it('answers a store without items with 404', async () => {
    // Prepare
    const { handler, clients } = makeHandler();
    mockClient(clients.documentClient).on(QueryCommand).resolves({ Items: [] });

    // Act
    const page = await call(handler, httpEvent('GET', '/stores/ghost'));
    const api = await call(handler, httpEvent('GET', '/api/stores/ghost/items'));

    // Assess
    expect(page.statusCode).toBe(404);
    expect(page.body).toContain('There is no store named “ghost” with items.');
    expect(api.statusCode).toBe(404);
    expect(api.headers['content-type']).toBe('application/problem+json');
  });

  it('hides an unexpected failure behind a generic 500 and logs it with the request id', async () => {
    // Prepare
    const captured: Captured = { errors: [] };
    const { handler, clients } = makeHandler({ captured });
    mockClient(clients.documentClient).on(ScanCommand).rejects(new Error('secret table detail at line 42'));

    // Act
    const api = await call(handler, httpEvent('GET', '/api/stores'));
    const page = await call(handler, httpEvent('GET', '/'));

    // Assess
    expect(api.statusCode).toBe(500);
    expect(api.headers['content-type']).toBe('application/problem+json');
    const problem = JSON.parse(api.body);
    expect(problem).toMatchObject({
      status: 500,
      title: 'Internal Server Error',
      requestId: 'lambda-request-1',
    });
    expect(api.body).not.toContain('secret');
    expect(api.body).not.toContain('at ');
    expect(page.statusCode).toBe(500);
    expect(page.body).not.toContain('secret');
    expect(page.body).toContain('lambda-request-1');
    expect(captured.errors).toHaveLength(2);
    expect(JSON.stringify(captured.errors[0])).toContain('lambda-request-1');
  });
});

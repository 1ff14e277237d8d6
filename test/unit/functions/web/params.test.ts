import { describe, expect, it } from 'vitest';
import {
  importsQuerySchema,
  parseOrBadRequest,
  storeItemsApiQuerySchema,
  storePageQuerySchema,
  uploadRequestSchema,
} from '../../../../functions/web/params.ts';
import { HttpProblemError } from '../../../../functions/web/problem.ts';
import { call, httpEvent, makeHandler } from './helpers.ts';

/** The problems a bad value gives, as the 400 lists them. */
function problemsFor(schema: Parameters<typeof parseOrBadRequest>[0], value: unknown) {
  try {
    parseOrBadRequest(schema, value);
  } catch (error) {
    if (error instanceof HttpProblemError) return { detail: error.detail, parameters: error.parameters };
    throw error;
  }
  throw new Error('expected a 400');
}

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

  it('says what a page query parameter must be, in plain words', async () => {
    // Prepare
    const { handler } = makeHandler();

    // Act
    const response = await call(handler, httpEvent('GET', '/stores/s1?status=gone&page=0'));

    // Assess
    expect(response.body).toContain('<li><code>status</code> must be one of: all, in, low, out</li>');
    expect(response.body).toContain('<li><code>page</code> must be a whole number from 1 to 100,000</li>');
    expect(response.body).not.toMatch(/Invalid option|expected|Too small/);
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

describe('the wording of a bad parameter', () => {
  it('lists the values a choice may take', () => {
    // Act
    const { detail, parameters } = problemsFor(storePageQuerySchema, {
      status: 'x',
      sort: 'price',
      order: 'up',
    });

    // Assess
    expect(parameters).toEqual([
      { parameter: 'status', detail: 'must be one of: all, in, low, out' },
      { parameter: 'sort', detail: 'must be one of: item, count, updated' },
      { parameter: 'order', detail: 'must be one of: asc, desc' },
    ]);
    expect(detail).toBe(
      'status must be one of: all, in, low, out; sort must be one of: item, count, updated; order must be one of: asc, desc',
    );
  });

  it.each([
    ['0', 'too small'],
    ['100001', 'too large'],
    ['-2', 'negative'],
    ['1.5', 'a fraction'],
    ['abc', 'not a number'],
  ])('gives the same advice for a page that is %s (%s)', (page) => {
    // Act
    const { parameters } = problemsFor(storePageQuerySchema, { page });

    // Assess
    expect(parameters).toEqual([{ parameter: 'page', detail: 'must be a whole number from 1 to 100,000' }]);
  });

  it('states each whole-number range as its schema bounds it', () => {
    // Act
    const api = problemsFor(storeItemsApiQuerySchema, { limit: '501', cursor: '' });
    const imports = problemsFor(importsQuerySchema, { limit: '0', source: '' });

    // Assess
    expect(api.parameters).toEqual([
      { parameter: 'limit', detail: 'must be a whole number from 1 to 500' },
      { parameter: 'cursor', detail: 'must not be empty' },
    ]);
    expect(imports.parameters).toEqual([
      { parameter: 'limit', detail: 'must be a whole number from 1 to 100' },
      { parameter: 'source', detail: 'must not be empty' },
    ]);
  });

  it('words an upload request’s missing field, wrong kind and wrong type', () => {
    // Act
    const wrongKind = problemsFor(uploadRequestSchema, { kind: 'video' });
    const missing = problemsFor(uploadRequestSchema, { kind: 'inventory', returnTo: 5 });
    const notAnObject = problemsFor(uploadRequestSchema, 'stock.csv');

    // Assess
    expect(wrongKind.parameters).toEqual([{ parameter: 'kind', detail: 'must be one of: inventory, image' }]);
    expect(missing.parameters).toEqual([
      { parameter: 'filename', detail: 'is required' },
      { parameter: 'returnTo', detail: 'must be a string' },
    ]);
    expect(notAnObject.parameters).toEqual([{ parameter: 'request', detail: 'must be a JSON object' }]);
  });

  it('keeps the messages a schema gives itself', () => {
    // Act
    const { parameters } = problemsFor(uploadRequestSchema, { kind: 'inventory', filename: 'stock.txt' });

    // Assess
    expect(parameters).toEqual([{ parameter: 'filename', detail: 'must end in .csv or .csv.gz' }]);
  });
});

import { describe, expect, it } from 'vitest';
import { call, httpEvent, makeHandler } from '../helpers.ts';

function post(
  body: string | undefined,
  headers: Record<string, string> = { 'content-type': 'application/json' },
) {
  return httpEvent('POST', '/api/uploads', { headers, ...(body !== undefined ? { body } : {}) });
}

describe('JSON request bodies', () => {
  it('answers a missing or malformed body with a 400 naming the body', async () => {
    // Prepare
    const { handler } = makeHandler();

    // Act
    const responses = [await call(handler, post(undefined)), await call(handler, post('not json'))];

    // Assess
    for (const response of responses) {
      expect(response.statusCode).toBe(400);
      expect(response.headers['content-type']).toBe('application/problem+json');
      expect(JSON.parse(response.body).errors).toEqual([{ parameter: 'body', detail: 'is not valid JSON' }]);
    }
  });

  it('answers another Content-Type with 415 and a body too large with 413, as problem details', async () => {
    // Prepare
    const { handler } = makeHandler();

    // Act
    const form = await call(
      handler,
      post('kind=image', { 'content-type': 'application/x-www-form-urlencoded' }),
    );
    const large = await call(
      handler,
      post(JSON.stringify({ kind: 'inventory', filename: 'x'.repeat(9000) })),
    );

    // Assess
    expect(form.statusCode).toBe(415);
    expect(JSON.parse(form.body)).toMatchObject({
      title: 'Unsupported Media Type',
      detail: 'Send the upload request as application/json.',
    });
    expect(large.statusCode).toBe(413);
    expect(large.headers['content-type']).toBe('application/problem+json');
  });

  it('takes the media type in any case, as HTTP defines it', async () => {
    // Prepare
    const { handler } = makeHandler();
    const body = JSON.stringify({ kind: 'inventory', filename: 'a.csv' });

    // Act
    const response = await call(handler, post(body, { 'content-type': 'Application/JSON; Charset=UTF-8' }));

    // Assess
    expect(response.statusCode).toBe(200);
  });

  it('reads a base64-encoded body', async () => {
    // Prepare
    const { handler } = makeHandler();
    const event = post(
      Buffer.from(JSON.stringify({ kind: 'inventory', filename: 'a.csv' })).toString('base64'),
    );
    event.isBase64Encoded = true;

    // Act
    const response = await call(handler, event);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body).key).toMatch(/^inventory\/.+-a\.csv$/);
  });
});

import { describe, expect, it } from 'vitest';
import { call, httpEvent, makeHandler } from '../helpers.ts';

describe('the assets and the health check', () => {
  it('answers /healthz with 200 {"status":"ok"}', async () => {
    // Prepare
    const { handler } = makeHandler();

    // Act
    const response = await call(handler, httpEvent('GET', '/healthz'));

    // Assess
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ status: 'ok' });
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

  it('serves the favicon as SVG', async () => {
    // Prepare
    const { handler } = makeHandler();

    // Act
    const icon = await call(handler, httpEvent('GET', '/assets/favicon.svg'));

    // Assess
    expect(icon.statusCode).toBe(200);
    expect(icon.headers['content-type']).toBe('image/svg+xml');
    expect(icon.body).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  });
});

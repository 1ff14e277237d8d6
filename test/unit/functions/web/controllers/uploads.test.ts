import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeProvider, startFakeProvider, USERS } from '../auth/fake-provider.ts';
import { call, httpEvent, makeHandler } from '../helpers.ts';

let provider: FakeProvider;

beforeAll(async () => {
  provider = await startFakeProvider();
});

afterAll(async () => {
  await provider.close();
});

const now = () => new Date('2025-03-04T05:06:07.000Z');

function policyOf(fields: Record<string, string>): { conditions: unknown[] } {
  return JSON.parse(Buffer.from(fields.Policy as string, 'base64').toString('utf8'));
}

function upload(body: unknown, headers: Record<string, string> = {}, claims?: Record<string, unknown>) {
  return httpEvent('POST', '/api/uploads', {
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    ...(claims ? { claims } : {}),
  });
}

describe('POST /api/uploads', () => {
  it('presigns a CSV upload with a fixed key, type and size range, and a redirect back', async () => {
    // Prepare
    const { handler } = makeHandler({ now });

    // Act
    const response = await call(
      handler,
      upload(
        { kind: 'inventory', filename: 'C:\\stock\\Store 1 (May).CSV', returnTo: '/imports' },
        { origin: 'https://dashboard.test' },
      ),
    );

    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    const answer = JSON.parse(response.body);
    expect(answer.url).toBe('https://uploads.s3.eu-west-1.amazonaws.com/');
    expect(answer.key).toMatch(/^inventory\/2025-03-04\/050607-[0-9a-f]{8}-Store-1-May\.csv$/);
    expect(answer.fields.key).toBe(answer.key);
    expect(answer.fields['Content-Type']).toBe('text/csv');
    expect(answer.fields.success_action_redirect).toBe(
      `https://dashboard.test/imports?uploaded=${encodeURIComponent(answer.key)}`,
    );
    const { conditions } = policyOf(answer.fields);
    expect(conditions).toContainEqual(['content-length-range', 1, 100 * 1024 * 1024]);
    expect(conditions).toContainEqual({ key: answer.key });
    expect(conditions).toContainEqual({ 'Content-Type': 'text/csv' });
    expect(conditions).toContainEqual({ success_action_redirect: answer.fields.success_action_redirect });
  });

  it('presigns an image upload at images/<item>.<ext> for its content type', async () => {
    // Prepare
    const { handler } = makeHandler({ now });

    // Act
    const response = await call(
      handler,
      upload({ kind: 'image', item: 'blue widget', contentType: 'image/png' }),
    );

    // Assess
    expect(response.statusCode).toBe(200);
    const answer = JSON.parse(response.body);
    expect(answer.key).toBe('images/blue widget.png');
    expect(answer.fields['Content-Type']).toBe('image/png');
    expect(answer.fields.success_action_redirect).toBeUndefined();
    expect(policyOf(answer.fields).conditions).toContainEqual(['content-length-range', 1, 20 * 1024 * 1024]);
  });

  it('never redirects to another origin', async () => {
    // Prepare: a script with a token (exempt from the CSRF check) claiming another origin.
    const { handler } = makeHandler({ now });

    // Act
    const response = await call(
      handler,
      upload(
        { kind: 'inventory', filename: 'a.csv', returnTo: '/imports' },
        { origin: 'https://evil.test', authorization: 'Bearer script-token' },
      ),
    );
    const protocolRelative = await call(
      handler,
      upload({ kind: 'inventory', filename: 'a.csv', returnTo: '//evil' }),
    );

    // Assess
    expect(JSON.parse(response.body).fields.success_action_redirect).toBeUndefined();
    expect(protocolRelative.statusCode).toBe(400);
  });

  it('rejects bad upload requests with 400/415 problem+json', async () => {
    // Prepare
    const { handler } = makeHandler({ now });

    // Act
    const wrongExtension = await call(handler, upload({ kind: 'inventory', filename: 'stock.xlsx' }));
    const svg = await call(handler, upload({ kind: 'image', item: 'w', contentType: 'image/svg+xml' }));
    const slash = await call(handler, upload({ kind: 'image', item: '../w', contentType: 'image/png' }));
    const notJson = await call(
      handler,
      httpEvent('POST', '/api/uploads', { headers: { 'content-type': 'application/json' }, body: '{' }),
    );
    const form = await call(
      handler,
      httpEvent('POST', '/api/uploads', { headers: { 'content-type': 'text/plain' }, body: '{}' }),
    );

    // Assess
    expect(JSON.parse(wrongExtension.body).errors[0].parameter).toBe('filename');
    expect(svg.statusCode).toBe(400);
    expect(JSON.parse(svg.body).errors[0].parameter).toBe('contentType');
    expect(slash.statusCode).toBe(400);
    expect(notJson.statusCode).toBe(400);
    expect(JSON.parse(notJson.body).errors[0]).toEqual({ parameter: 'body', detail: 'is not valid JSON' });
    expect(form.statusCode).toBe(415);
    expect(form.headers['content-type']).toBe('application/problem+json');
  });

  it('refuses an item name too long for its image and thumbnail keys, saying the limit', async () => {
    // Prepare: 1,002 bytes is the most that leaves room for `images/`, `.tiff` and `/4096.webp`.
    const { handler } = makeHandler({ now });
    const longest = 'é'.repeat(501);

    // Act
    const fits = await call(handler, upload({ kind: 'image', item: longest, contentType: 'image/tiff' }));
    const tooLong = await call(
      handler,
      upload({ kind: 'image', item: `${longest}x`, contentType: 'image/png' }),
    );

    // Assess
    expect(fits.statusCode).toBe(200);
    expect(Buffer.byteLength(JSON.parse(fits.body).key)).toBe(1014);
    expect(tooLong.statusCode).toBe(400);
    expect(JSON.parse(tooLong.body).errors).toEqual([
      { parameter: 'item', detail: 'must be at most 1002 bytes' },
    ]);
  });

  it('requires a signed-in manager and records the uploader', async () => {
    // Prepare
    const { handler } = makeHandler({ now, config: { auth: provider.authConfig } });
    const request = { kind: 'inventory', filename: 'a.csv' };

    // Act
    const anonymous = await call(handler, upload(request));
    const signedIn = await call(
      handler,
      upload(request, { authorization: `Bearer ${provider.accessToken(USERS.manager)}` }),
    );
    const viewer = await call(
      handler,
      upload(request, { authorization: `Bearer ${provider.accessToken(USERS.viewer)}` }),
    );

    // Assess
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['www-authenticate']).toBe('Bearer');
    expect(signedIn.statusCode).toBe(200);
    expect(JSON.parse(signedIn.body).fields['x-amz-meta-uploaded-by']).toBe(USERS.manager.sub);
    expect(viewer.statusCode).toBe(403);
    expect(JSON.parse(viewer.body).detail).toContain('uploads are for managers');
  });

  it('asks for a sign-in before it reads the body', async () => {
    // Prepare
    const { handler } = makeHandler({ now, config: { auth: provider.authConfig } });

    // Act
    const response = await call(
      handler,
      httpEvent('POST', '/api/uploads', { headers: { 'content-type': 'application/json' }, body: '{' }),
    );

    // Assess
    expect(response.statusCode).toBe(401);
    expect(response.headers['content-type']).toBe('application/problem+json');
  });
});

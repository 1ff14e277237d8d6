import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { type Captured, call, httpEvent, makeHandler } from '../helpers.ts';

describe('problem responses', () => {
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

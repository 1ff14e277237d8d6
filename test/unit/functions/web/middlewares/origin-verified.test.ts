import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { call, httpEvent, makeHandler, TEST_EDGE_SECRET } from '../helpers.ts';

const PREVIOUS = 'the-edge-secret-being-rotated-out-0123';

function edgeOnlyHandler(originCheck = true) {
  const made = makeHandler({
    config: { edge: { secrets: [TEST_EDGE_SECRET, PREVIOUS], originCheck } },
  });
  const dynamo = mockClient(made.clients.documentClient);
  dynamo.on(ScanCommand).resolves({ Items: [] });
  return { ...made, dynamo };
}

describe('the HTTP API behind the distribution only', () => {
  it('refuses a request without the edge secret, before any route runs', async () => {
    // Prepare
    const { handler, dynamo } = edgeOnlyHandler();

    // Act
    const missing = await call(handler, httpEvent('GET', '/'));
    const wrong = await call(handler, httpEvent('GET', '/', { headers: { 'x-origin-verify': 'guess' } }));
    const healthz = await call(handler, httpEvent('GET', '/healthz'));

    // Assess
    for (const response of [missing, wrong, healthz]) {
      expect(response.statusCode).toBe(403);
      expect(response.body).not.toContain(TEST_EDGE_SECRET);
      expect(response.headers['content-security-policy']).toContain("default-src 'none'");
    }
    expect(dynamo.commandCalls(ScanCommand)).toHaveLength(0);
  });

  it('answers a request carrying the current secret or the one also accepted, and drops the header', async () => {
    // Prepare
    const { handler } = edgeOnlyHandler();
    const current = httpEvent('GET', '/', { headers: { 'x-origin-verify': TEST_EDGE_SECRET } });
    const previous = httpEvent('GET', '/', { headers: { 'x-origin-verify': PREVIOUS } });

    // Act
    const responses = [await call(handler, current), await call(handler, previous)];

    // Assess
    for (const response of responses) expect(response.statusCode).toBe(200);
    expect(current.headers['x-origin-verify']).toBeUndefined();
    expect(previous.headers['x-origin-verify']).toBeUndefined();
  });

  it('lets every request through when the check is off (cdnOnly=false, the local cloud)', async () => {
    // Prepare
    const { handler } = edgeOnlyHandler(false);

    // Act
    const response = await call(handler, httpEvent('GET', '/'));

    // Assess
    expect(response.statusCode).toBe(200);
  });
});

import asyncHooks from 'node:async_hooks';
import type { Context } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigurationError } from '#shared/env.ts';

const context = {
  functionName: 'thumbnails',
  awsRequestId: 'req-1',
  getRemainingTimeInMillis: () => 60_000,
} as unknown as Context;

async function loadHandler() {
  vi.resetModules();
  return import('../../../../functions/thumbnails/handler.ts');
}

describe('thumbnails handler', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it('fails at cold start when thumbnails would be written to the uploads bucket', async () => {
    // Prepare
    vi.stubEnv('UPLOADS_BUCKET', 'same-bucket');
    vi.stubEnv('THUMBNAILS_BUCKET', 'same-bucket');

    // Act
    const loading = loadHandler();

    // Assess
    // (a fresh module graph has its own ConfigurationError class: compare by name)
    await expect(loading).rejects.toMatchObject({
      name: ConfigurationError.name,
      message: expect.stringContaining('THUMBNAILS_BUCKET must differ from UPLOADS_BUCKET'),
    });
  });

  it('installs no async hook at load (the X-Ray SDK would hook every promise)', async () => {
    // Prepare
    vi.stubEnv('UPLOADS_BUCKET', 'uploads');
    vi.stubEnv('THUMBNAILS_BUCKET', 'thumbnails');
    const createHook = vi.spyOn(asyncHooks, 'createHook');

    // Act
    const loaded = await loadHandler();

    // Assess
    expect(loaded).toHaveProperty('handler');
    expect(createHook).not.toHaveBeenCalled();
  });

  it('skips, and does not throw for, a record from another bucket', async () => {
    // Prepare
    vi.stubEnv('UPLOADS_BUCKET', 'uploads');
    vi.stubEnv('THUMBNAILS_BUCKET', 'thumbnails');
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
    const { handler } = await loadHandler();
    const event = {
      Records: [
        {
          eventSource: 'aws:s3',
          eventName: 'ObjectCreated:Put',
          s3: {
            bucket: { name: 'thumbnails' },
            object: { key: 'images/a.jpg/200.webp', size: 10, sequencer: '01' },
          },
        },
      ],
    };

    // Act
    const summary = await handler(event as never, context);

    // Assess
    expect(summary).toEqual({ records: [{ status: 'skipped', reason: 'foreign_bucket' }] });
  });
});

import asyncHooks from 'node:async_hooks';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createObservability } from '../../../shared/observability.ts';

let written: string[];

beforeEach(() => {
  vi.stubEnv('POWERTOOLS_METRICS_NAMESPACE', 'Stockroom');
  vi.stubEnv('POWERTOOLS_SERVICE_NAME', 'test');
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'INFO');
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
  written = [];
  const capture = (chunk: unknown) => written.push(String(chunk)) > 0;
  vi.spyOn(process.stdout, 'write').mockImplementation(capture as typeof process.stdout.write);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture as typeof process.stderr.write);
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('observability', () => {
  it('prints nothing for an invocation that counted nothing', () => {
    // Prepare
    const { metrics } = createObservability();

    // Act
    metrics.publishStoredMetrics();

    // Assess
    expect(written).toEqual([]);
  });

  it('prints one metric line for an invocation that counted something', () => {
    // Prepare
    const { metrics } = createObservability();
    metrics.addMetric('AlertsPublished', MetricUnit.Count, 3);

    // Act
    metrics.publishStoredMetrics();

    // Assess
    expect(written).toHaveLength(1);
    expect(JSON.parse(written[0] as string)).toMatchObject({ AlertsPublished: 3 });
  });

  it('installs no async hook (the X-Ray SDK, loaded by a Tracer, would hook every promise)', async () => {
    // Prepare
    const createHook = vi.spyOn(asyncHooks, 'createHook');
    vi.resetModules();

    // Act
    const { createObservability: fresh } = await import('../../../shared/observability.ts');
    fresh();

    // Assess
    expect(createHook).not.toHaveBeenCalled();
  });
});

import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { describe, expect, it, vi } from 'vitest';
import { powertoolsThumbnailMetrics, thumbnailObservability } from '../../../../shared/images/telemetry.ts';

function spiedMetrics() {
  const metrics = new Metrics({ namespace: 'Test', serviceName: 'thumbnails' });
  const single = new Metrics({ namespace: 'Test', serviceName: 'thumbnails' });
  const addMetric = vi.spyOn(metrics, 'addMetric').mockImplementation(() => metrics);
  const singleDimension = vi.spyOn(single, 'addDimension').mockImplementation(() => single);
  const singleMetric = vi.spyOn(single, 'addMetric').mockImplementation(() => single);
  vi.spyOn(metrics, 'singleMetric').mockReturnValue(single);
  return { metrics, addMetric, singleDimension, singleMetric };
}

describe('powertoolsThumbnailMetrics', () => {
  it('counts a rejection in total and, as a single metric, per reason', () => {
    // Prepare
    const spies = spiedMetrics();

    // Act
    powertoolsThumbnailMetrics(spies.metrics).imageRejected('truncated');

    // Assess
    expect(spies.addMetric).toHaveBeenCalledWith('ImageRejected', MetricUnit.Count, 1);
    expect(spies.singleDimension).toHaveBeenCalledWith('reason', 'truncated');
    expect(spies.singleMetric).toHaveBeenCalledWith('ImageRejected', MetricUnit.Count, 1);
  });

  it('counts processed images and the thumbnails written', () => {
    // Prepare
    const spies = spiedMetrics();

    // Act
    powertoolsThumbnailMetrics(spies.metrics).imageProcessed(2);

    // Assess
    expect(spies.addMetric.mock.calls).toEqual([
      ['ImageProcessed', MetricUnit.Count, 1],
      ['ThumbnailsWritten', MetricUnit.Count, 2],
    ]);
  });
});

describe('thumbnailObservability', () => {
  it('logs an invocation that counted nothing at debug level, not as a warning', () => {
    // Prepare
    vi.stubEnv('POWERTOOLS_METRICS_NAMESPACE', 'Test');
    vi.stubEnv('POWERTOOLS_SERVICE_NAME', 'thumbnails');
    const { logger, metrics } = thumbnailObservability();
    vi.unstubAllEnvs();
    const debug = vi.spyOn(logger, 'debug').mockImplementation(() => undefined);
    const warn = vi.spyOn(logger, 'warn').mockImplementation(() => undefined);

    // Act
    metrics.publishStoredMetrics();

    // Assess
    expect(debug).toHaveBeenCalledWith(expect.stringContaining('No application metrics to publish'));
    expect(warn).not.toHaveBeenCalled();
  });
});

import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { describe, expect, it, vi } from 'vitest';
import { powertoolsThumbnailMetrics } from '../../../../shared/images/telemetry.ts';

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

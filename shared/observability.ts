import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

/**
 * Powertools instances for one function. Service name and namespace come from
 * `POWERTOOLS_SERVICE_NAME` / `POWERTOOLS_METRICS_NAMESPACE` (set in serverless.yml),
 * so each function's logs and metrics are labelled without code.
 */
export interface Observability {
  logger: Logger;
  metrics: Metrics;
  tracer: Tracer;
}

export function createObservability(): Observability {
  return {
    logger: new Logger(),
    metrics: new Metrics(),
    tracer: new Tracer(),
  };
}

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
  const logger = new Logger();
  return { logger, metrics: new Metrics({ logger: metricsLogger(logger) }), tracer: new Tracer() };
}

/**
 * Metrics' own warnings, through the function's logger. An invocation that counted nothing
 * publishes no metric line, and Powertools' warning that it had none ("No application
 * metrics to publish") is a debug line: for a stream function most batches count nothing.
 */
function metricsLogger(logger: Logger) {
  return {
    debug: (message: string) => logger.debug(message),
    info: (message: string) => logger.info(message),
    error: (message: string) => logger.error(message),
    warn: (message: string) =>
      message.startsWith('No application metrics to publish') ? logger.debug(message) : logger.warn(message),
  };
}

import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

/**
 * Powertools instances for one function. Service name and namespace come from
 * `POWERTOOLS_SERVICE_NAME` / `POWERTOOLS_METRICS_NAMESPACE` (set in serverless.yml),
 * so each function's logs and metrics are labelled without code.
 *
 * There is no Tracer. Loading Powertools' Tracer loads the X-Ray SDK, whose context tracking
 * (cls-hooked: an async hook with a destroy callback) then runs for every promise the process
 * makes, each about ten times dearer (300,000 awaits: 33 ms without it, 300 ms with it); a
 * photo's thumbnails make about 1,800, a 500-record stream batch thousands. No function
 * records a subsegment of its own, so it bought nothing: Lambda still traces every invocation
 * (provider.tracing.lambda in serverless.yml).
 */
export interface Observability {
  logger: Logger;
  metrics: Metrics;
}

export function createObservability(): Observability {
  const logger = new Logger();
  return { logger, metrics: new Metrics({ logger: metricsLogger(logger) }) };
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

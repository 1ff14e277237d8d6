import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type GetObjectCommandOutput, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import type { InventoryItem } from '#shared/inventory/table.ts';
import { createWebHandler } from '../../../../functions/web/app.ts';
import { type WebConfig, webConfigFrom } from '../../../../functions/web/config.ts';
import type { HttpEvent, HttpResponse } from '../../../../functions/web/http-event.ts';
import { ImageIndex } from '../../../../functions/web/image-index.ts';
import { decodedPath } from '../../../../local/http-api.ts';

/** The edge secret of the test configuration (thumbnail links are signed with it). */
export const TEST_EDGE_SECRET = 'test-edge-secret-of-at-least-32-characters';

export const testConfig: WebConfig = webConfigFrom({
  INVENTORY_TABLE: 'inventory',
  STORE_SUMMARIES_TABLE: 'summaries',
  STOCK_HISTORY_TABLE: 'history',
  STOCK_ATTENTION_TABLE: 'attention',
  UPLOADS_BUCKET: 'uploads',
  THUMBNAILS_BUCKET: 'thumbnails',
  LOW_STOCK_THRESHOLD: 5,
  AUTH_MODE: 'none',
  AWS_REGION: 'eu-west-1',
  EDGE_SECRET: TEST_EDGE_SECRET,
  EDGE_ORIGIN_CHECK: false,
});

/** Real SDK clients (so aws-sdk-client-mock can intercept them) that never reach a network. */
export function testClients() {
  const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
  const s3 = new S3Client({ region: 'eu-west-1', credentials });
  const documentClient = DynamoDBDocumentClient.from(
    new DynamoDBClient({ region: 'eu-west-1', credentials }),
  );
  return { s3, documentClient };
}

export interface Captured {
  errors: unknown[];
}

/** A silent logger that remembers what was logged as an error. */
export function testLogger(captured: Captured = { errors: [] }): Logger {
  const logger = new Logger({ serviceName: 'web-test', logLevel: 'SILENT' });
  logger.error = (...args: unknown[]) => {
    captured.errors.push(args);
  };
  return logger;
}

export function makeHandler(
  overrides: {
    config?: Partial<WebConfig>;
    captured?: Captured;
    now?: () => Date;
    summariesTtlMs?: number;
  } = {},
  clients = testClients(),
) {
  const config = { ...testConfig, ...overrides.config };
  const handler = createWebHandler({
    config,
    documentClient: clients.documentClient,
    s3: clients.s3,
    imageIndex: new ImageIndex(clients.s3, config.thumbnailsBucket, 0),
    logger: testLogger(overrides.captured),
    summariesTtlMs: overrides.summariesTtlMs ?? 0,
    ...(overrides.now ? { now: overrides.now } : {}),
  });
  return { handler, clients, config };
}

export interface EventOptions {
  headers?: Record<string, string>;
  body?: string;
  claims?: Record<string, unknown>;
  /** Request cookies, as API Gateway hands them over (`name=value` each). */
  cookies?: string[];
  /** Leave out the `Origin` a browser puts on every POST, PUT, DELETE… (see below). */
  withoutOrigin?: boolean;
}

/** The origin the test events come from: `https://` + their `requestContext.domainName`. */
export const DASHBOARD_ORIGIN = 'https://dashboard.test';

/**
 * A payload 2.0 event. Any method but GET and HEAD carries `Origin: https://dashboard.test`, as
 * a browser's request would (the CSRF check wants it), unless the test gives another or none.
 */
export function httpEvent(method: string, target: string, options: EventOptions = {}): HttpEvent {
  const [encodedPath = '/', query = ''] = target.split('?');
  // An HTTP API hands the path to Lambda percent-decoded (`rawPath` too).
  const path = decodedPath(encodedPath);
  const parameters: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(query)) {
    // HTTP API joins repeated parameters with commas.
    parameters[name] = parameters[name] === undefined ? value : `${parameters[name]},${value}`;
  }
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: query,
    headers: {
      host: 'dashboard.test',
      ...(method !== 'GET' && method !== 'HEAD' && !options.withoutOrigin
        ? { origin: DASHBOARD_ORIGIN }
        : {}),
      ...options.headers,
    },
    ...(options.cookies ? { cookies: options.cookies } : {}),
    ...(query ? { queryStringParameters: parameters } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'api',
      domainName: 'dashboard.test',
      domainPrefix: 'dashboard',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'vitest' },
      requestId: 'api-request',
      routeKey: '$default',
      stage: '$default',
      time: '01/Jan/2025:00:00:00 +0000',
      timeEpoch: 0,
      ...(options.claims ? { authorizer: { jwt: { claims: options.claims, scopes: null } } } : {}),
    },
    isBase64Encoded: false,
    ...(options.body !== undefined ? { body: options.body } : {}),
  };
}

export const lambdaContext: Context = {
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'web',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:000000000000:function:web',
  memoryLimitInMB: '1024',
  awsRequestId: 'lambda-request-1',
  logGroupName: '/aws/lambda/web',
  logStreamName: 'stream',
  getRemainingTimeInMillis: () => 10_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
};

export async function call(
  handler: ReturnType<typeof makeHandler>['handler'],
  event: HttpEvent,
): Promise<HttpResponse> {
  return handler(event, lambdaContext);
}

/** A GetObject body as the SDK returns it, for the parts our code reads. */
export function body(content: string | Uint8Array): GetObjectCommandOutput['Body'] {
  const bytes = typeof content === 'string' ? Buffer.from(content) : content;
  const payload = {
    transformToString: async () => Buffer.from(bytes).toString('utf8'),
    transformToByteArray: async () => new Uint8Array(bytes),
  };
  return payload as unknown as GetObjectCommandOutput['Body'];
}

/** A stored store summary with `itemCount` items. */
export const storeSummary = (name: string, itemCount: number) => ({
  store: name,
  itemCount,
  totalUnits: 10,
  outOfStockCount: 0,
  computedAt: '2025-01-01T00:00:00.000Z',
});

/** `size` items named item-000…, with counts 0–6 and dates through January 2025. */
export function inventory(size: number): InventoryItem[] {
  return Array.from({ length: size }, (_, index) => ({
    item: `item-${String(index).padStart(3, '0')}`,
    count: index % 7,
    updatedAt: `2025-01-${String((index % 28) + 1).padStart(2, '0')}T00:00:00.000Z`,
  }));
}

import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FailureRecord, SnsOutboxEntry } from '../types.ts';
import { AwsApiError, MAX_REQUEST_BYTES } from './errors.ts';
import { parseQueryParams, queryErrorResponse, queryResponse } from './query.ts';
import { asJsonObject, handleStepFunctionsOperation, type StateMachineRunner } from './sfn.ts';
import { SnsService } from './sns.ts';
import { handleSnsAction, SNS_XML_NAMESPACE } from './sns-protocol.ts';
import { SqsService } from './sqs.ts';
import {
  runSqsOperation,
  SQS_ACTIONS,
  SQS_XML_NAMESPACE,
  sqsQueryInput,
  sqsQueryResult,
} from './sqs-protocol.ts';

export { AwsApiError, StepFunctionsApiError } from './errors.ts';
export type {
  ExecutionDescription,
  ExecutionStatus,
  StateMachineRunner,
  StateMachineSummary,
} from './sfn.ts';

export interface AwsEndpointOptions {
  /** 0 or absent picks a free port. */
  port?: number;
  region: string;
  /** Conventionally `000000000000` locally. */
  accountId: string;
  /** Topics, the SNS outbox and the queues live here and survive restarts. */
  dataDir: string;
  /** Called with every published message (after it is stored). */
  onSnsMessage?: (entry: SnsOutboxEntry) => void;
  /** Runs the state machines; without one, ListStateMachines is empty. */
  stateMachines?: StateMachineRunner;
}

export interface AwsEndpoint {
  /** `http://127.0.0.1:<port>`: the endpoint for SNS, SQS and Step Functions clients. */
  readonly url: string;
  readonly port: number;
  /** Returns the topic ARN; creating an existing topic returns it again. */
  createTopic(name: string): string;
  /** Idempotent. */
  createQueue(name: string): { url: string; arn: string };
  /** Throws AwsApiError QueueDoesNotExist when the queue was never created. */
  sendToQueue(name: string, body: string): void;
  /** Every message sent to the queue and not deleted or purged, oldest first. */
  queueMessages(name: string): FailureRecord[];
  /** Every message published so far, also those of earlier runs with the same dataDir. */
  snsMessages(): SnsOutboxEntry[];
  close(): Promise<void>;
}

const JSON_CONTENT_TYPE = 'application/x-amz-json-1.0';
const SQS_JSON_ERROR_PREFIX = 'com.amazonaws.sqs#';

/**
 * One local HTTP endpoint for SNS (Query protocol), SQS (JSON and Query protocols) and
 * Step Functions (JSON protocol), told apart per request the way AWS's own front ends
 * would: `X-Amz-Target` names a JSON service, otherwise `Action=` is a Query action.
 * Signatures are not checked: any credentials are accepted.
 */
export async function startAwsEndpoint(options: AwsEndpointOptions): Promise<AwsEndpoint> {
  mkdirSync(options.dataDir, { recursive: true });
  let baseUrl = '';
  const sqs = new SqsService({
    region: options.region,
    accountId: options.accountId,
    dataDir: options.dataDir,
    baseUrl: () => baseUrl,
  });
  const sns = new SnsService({
    region: options.region,
    accountId: options.accountId,
    dataDir: options.dataDir,
    onMessage: options.onSnsMessage,
    deliverToQueue: (queueArn, body, attributes) => sqs.sendToQueueArn(queueArn, body, attributes),
  });
  const stepFunctions = {
    runner: options.stateMachines,
    accountId: options.accountId,
    startedAt: new Date(),
  };

  const server = createServer((request, response) => {
    handleRequest(request, response).catch((error: unknown) => {
      // Reaching here means the response itself failed (e.g. the client went away).
      if (!response.headersSent) {
        sendJson(response, 500, {}, { __type: 'InternalFailure', message: String(error) });
      } else {
        response.destroy();
      }
    });
  });
  // A client that stops sending mid-body must not hold a socket for ever.
  server.requestTimeout = 60_000;

  async function handleRequest(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const { body, tooLarge } = await readBody(request);
    const target = request.headers['x-amz-target'];
    if (typeof target === 'string' && target.length > 0) {
      await handleJson(request, response, requestId, target, body, tooLarge);
    } else {
      await handleQuery(request, response, requestId, body, tooLarge);
    }
  }

  async function handleJson(
    request: IncomingMessage,
    response: ServerResponse,
    requestId: string,
    target: string,
    body: string,
    tooLarge: boolean,
  ): Promise<void> {
    const dot = target.lastIndexOf('.');
    const service = target.slice(0, dot);
    const operation = target.slice(dot + 1);
    const isSqs = service === 'AmazonSQS';
    const headers: Record<string, string> = { 'x-amzn-requestid': requestId };
    try {
      if (tooLarge) throw requestTooLarge();
      const input = asJsonObject(body);
      let output: object;
      if (isSqs) {
        output = await runSqsOperation(sqs, operation, input, abortedWith(request, response));
      } else if (service === 'AWSStepFunctions') {
        output = handleStepFunctionsOperation(stepFunctions, operation, input);
      } else {
        throw new AwsApiError('UnknownOperationException', `Unknown operation ${target}`);
      }
      sendJson(response, 200, headers, output);
    } catch (error) {
      const apiError = asApiError(error);
      if (isSqs) headers['x-amzn-query-error'] = `${apiError.queryCode ?? apiError.code};${apiError.fault}`;
      const type =
        isSqs && !apiError.code.includes('#') ? `${SQS_JSON_ERROR_PREFIX}${apiError.code}` : apiError.code;
      sendJson(response, apiError.status, headers, { __type: type, message: apiError.message });
    }
  }

  async function handleQuery(
    request: IncomingMessage,
    response: ServerResponse,
    requestId: string,
    body: string,
    tooLarge: boolean,
  ): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const contentType = request.headers['content-type'] ?? '';
    const formBody = contentType === '' || contentType.startsWith('application/x-www-form-urlencoded');
    const params = parseQueryParams(url.search, formBody && !tooLarge ? body : '');
    const action = params.get('Action') ?? '';
    const isSqs = SQS_ACTIONS.has(action);
    const namespace = isSqs ? SQS_XML_NAMESPACE : SNS_XML_NAMESPACE;
    try {
      if (tooLarge) throw requestTooLarge();
      if (action.length === 0) {
        throw new AwsApiError('MissingAction', 'The request must contain the parameter Action.');
      }
      const result = isSqs
        ? sqsQueryResult(
            action,
            await runSqsOperation(
              sqs,
              action,
              sqsQueryInput(params, url.pathname),
              abortedWith(request, response),
            ),
          )
        : handleSnsAction(sns, action, params);
      sendXml(response, 200, requestId, queryResponse(action, namespace, result, requestId));
    } catch (error) {
      const apiError = asApiError(error);
      sendXml(response, apiError.status, requestId, queryErrorResponse(namespace, apiError, requestId));
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  baseUrl = `http://127.0.0.1:${port}`;

  return {
    url: baseUrl,
    port,
    createTopic: (name) => sns.createTopic(name).arn,
    createQueue: (name) => {
      const { QueueUrl } = sqs.createQueue({ QueueName: name });
      return { url: QueueUrl, arn: sqs.queueArn(name) };
    },
    sendToQueue: (name, body) => sqs.sendToQueue(name, body),
    queueMessages: (name) => sqs.queueMessages(name),
    snsMessages: () => sns.messages(),
    close: async () => {
      sqs.close();
      // Let the long polls just woken up send their (empty) answers before sockets close.
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** The whole body, read to its end even when too large (so the client gets our answer, not a reset). */
function readBody(request: IncomingMessage): Promise<{ body: string; tooLarge: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size <= MAX_REQUEST_BYTES) chunks.push(chunk);
    });
    request.on('end', () => {
      const tooLarge = size > MAX_REQUEST_BYTES;
      resolve({ body: tooLarge ? '' : Buffer.concat(chunks).toString('utf8'), tooLarge });
    });
    request.on('error', reject);
    // A client that goes away mid-body ends the request without 'end'.
    request.on('close', () => {
      if (!request.complete)
        reject(new Error('The client closed the connection before sending the whole body.'));
    });
  });
}

/** Aborts when the client goes away, so a long poll does not take messages nobody will get. */
function abortedWith(request: IncomingMessage, response: ServerResponse): AbortSignal {
  const controller = new AbortController();
  const abort = (): void => {
    if (!response.writableEnded) controller.abort();
  };
  request.socket.once('close', abort);
  response.once('finish', () => request.socket.off('close', abort));
  return controller.signal;
}

function requestTooLarge(): AwsApiError {
  return new AwsApiError(
    'RequestEntityTooLarge',
    `Request body is larger than the endpoint's limit of ${MAX_REQUEST_BYTES} bytes.`,
    { status: 413 },
  );
}

function asApiError(error: unknown): AwsApiError {
  if (error instanceof AwsApiError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new AwsApiError('InternalFailure', `Internal error: ${message}`, {
    status: 500,
    queryCode: 'InternalError',
  });
}

function sendJson(
  response: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: unknown,
): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    ...headers,
    'content-type': JSON_CONTENT_TYPE,
    'content-length': Buffer.byteLength(text, 'utf8'),
  });
  response.end(text);
}

function sendXml(response: ServerResponse, status: number, requestId: string, xml: string): void {
  response.writeHead(status, {
    'x-amzn-requestid': requestId,
    'content-type': 'text/xml',
    'content-length': Buffer.byteLength(xml, 'utf8'),
  });
  response.end(xml);
}

import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { isRecord } from '../json-lines.ts';
import { type LocalService, readBody, serverService } from '../service.ts';
import type { SnsOutboxEntry } from '../types.ts';
import { AwsApiError } from './errors.ts';
import { answerLambda, LAMBDA_PATH, type LambdaBackend } from './lambda.ts';
import { parseQueryParams, queryErrorResponse, queryResponse } from './query.ts';
import { answerSendEmail, SES_SEND_PATH } from './ses.ts';
import { handleStepFunctionsOperation, type StateMachineRunner } from './sfn.ts';
import { handleSnsAction, SNS_XML_NAMESPACE, SnsService } from './sns.ts';

export { AwsApiError, StepFunctionsApiError } from './errors.ts';
export type { LambdaBackend } from './lambda.ts';
export type { ExecutionDescription, StateMachineRunner, StateMachineSummary } from './sfn.ts';

/**
 * Bodies above this are refused before parsing. The largest legal request, a Publish of
 * 256 KiB, is at most three times that once URL-encoded.
 */
const MAX_REQUEST_BYTES = 4 * 1024 * 1024;
const JSON_TYPE = 'application/x-amz-json-1.0';
const XML_TYPE = 'text/xml';

export interface AwsEndpointOptions {
  /** 0 or absent picks a free port. */
  port?: number;
  region: string;
  /** Conventionally `000000000000` locally. */
  accountId: string;
  /** The SNS outbox lives here and survives restarts. */
  dataDir: string;
  /** The topics to create (by name). */
  topics?: string[];
  /** Called with every published message (after it is stored). */
  onSnsMessage?: (entry: SnsOutboxEntry) => void;
  /** Runs the state machines; without one, there are none. */
  stateMachines?: StateMachineRunner;
  /** The functions behind the Lambda API; without them, there are none. */
  lambda?: LambdaBackend;
}

export interface AwsEndpoint extends LocalService {
  /** `http://127.0.0.1:<port>`: the endpoint for SNS, Step Functions and Lambda clients. */
  readonly url: string;
  readonly port: number;
  /** Returns the topic ARN; creating an existing topic returns it again. */
  createTopic(name: string): string;
  /** Every message published so far, also those of earlier runs with the same dataDir. */
  snsMessages(): SnsOutboxEntry[];
}

interface Services {
  sns: SnsService;
  stateMachines: StateMachineRunner | undefined;
  lambda: LambdaBackend | undefined;
  account: { region: string; accountId: string };
  mailOutbox: string;
}

interface Reply {
  requestId: string;
  status: number;
  contentType: string;
  text: string;
  headers?: Record<string, string>;
}

/**
 * One local HTTP endpoint for SNS (Query protocol), Step Functions (JSON protocol) and
 * Lambda (REST-JSON), told apart per request the way AWS's own front ends would: a path
 * under an API version (`/2015-03-31/functions`) is Lambda's, `X-Amz-Target` names a JSON
 * service, otherwise `Action=` is a Query action. Signatures are not checked: any
 * credentials are accepted. https://smithy.io/2.0/aws/protocols/
 */
export async function startAwsEndpoint(options: AwsEndpointOptions): Promise<AwsEndpoint> {
  mkdirSync(options.dataDir, { recursive: true });
  const sns = new SnsService(options);
  for (const topic of options.topics ?? []) sns.createTopic(topic);
  const { region, accountId, stateMachines, lambda } = options;
  const mailOutbox = join(options.dataDir, 'mail-outbox');
  const services: Services = { sns, stateMachines, lambda, account: { region, accountId }, mailOutbox };
  const server = createServer((request, response) => {
    answer(services, request).then(
      (reply) => send(response, reply),
      // Reaching here means the request itself failed (e.g. the client went away mid-body).
      () => response.destroy(),
    );
  });
  // A client that stops sending mid-body must not hold a socket for ever.
  server.requestTimeout = 60_000;
  const service = await serverService(
    server,
    'The SNS, Step Functions and Lambda endpoint',
    'aws',
    options.port ?? 0,
  );
  return { ...service, createTopic: (name) => sns.createTopic(name), snsMessages: () => sns.messages() };
}

async function answer(services: Services, request: IncomingMessage): Promise<Reply> {
  const requestId = randomUUID();
  if (LAMBDA_PATH.test(request.url ?? ''))
    return answerLambda(services.lambda, services.account, request, requestId);
  if (request.method === 'POST' && SES_SEND_PATH.test(request.url ?? ''))
    return answerSendEmail(request, services.mailOutbox, requestId);
  const read = await readBody(request, MAX_REQUEST_BYTES);
  const body = read?.toString('utf8') ?? '';
  const target = request.headers['x-amz-target'];
  const json = typeof target === 'string' && target.length > 0;
  try {
    if (read === undefined) {
      const limit = `Request body is larger than the endpoint's limit of ${MAX_REQUEST_BYTES} bytes.`;
      throw new AwsApiError('RequestEntityTooLarge', limit, { status: 413 });
    }
    const text = json ? jsonReply(services, target, body) : queryReply(services, request, body, requestId);
    return { requestId, status: 200, contentType: json ? JSON_TYPE : XML_TYPE, text };
  } catch (error) {
    const apiError = asApiError(error);
    const text = json
      ? JSON.stringify({ __type: apiError.code, message: apiError.message })
      : queryErrorResponse(SNS_XML_NAMESPACE, apiError, requestId);
    return { requestId, status: apiError.status, contentType: json ? JSON_TYPE : XML_TYPE, text };
  }
}

/** The JSON protocol: `X-Amz-Target: <Service>.<Operation>` and a JSON body. */
function jsonReply(services: Services, target: string, body: string): string {
  const dot = target.lastIndexOf('.');
  const input = asJsonObject(body);
  if (target.slice(0, dot) !== 'AWSStepFunctions') {
    throw new AwsApiError('UnknownOperationException', `Unknown operation ${target}`);
  }
  return JSON.stringify(handleStepFunctionsOperation(services.stateMachines, target.slice(dot + 1), input));
}

/** The Query protocol: `Action=` and its parameters in a form (or the URL). */
function queryReply(services: Services, request: IncomingMessage, body: string, requestId: string): string {
  const url = new URL(request.url ?? '/', 'http://127.0.0.1');
  const contentType = request.headers['content-type'] ?? '';
  const formBody = contentType === '' || contentType.startsWith('application/x-www-form-urlencoded');
  const params = parseQueryParams(url.search, formBody ? body : '');
  const action = params.get('Action') ?? '';
  if (action.length === 0) {
    throw new AwsApiError('MissingAction', 'The request must contain the parameter Action.');
  }
  return queryResponse(action, SNS_XML_NAMESPACE, handleSnsAction(services.sns, action, params), requestId);
}

/** Input for the JSON protocol must be an object; anything else is a serialization error. */
function asJsonObject(body: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = body.trim().length === 0 ? {} : JSON.parse(body);
  } catch (error) {
    throw new AwsApiError('SerializationException', 'The request body is not valid JSON.', { cause: error });
  }
  if (!isRecord(parsed))
    throw new AwsApiError('SerializationException', 'The request body must be a JSON object.');
  return parsed;
}

function asApiError(error: unknown): AwsApiError {
  if (error instanceof AwsApiError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new AwsApiError('InternalFailure', `Internal error: ${message}`, { status: 500, cause: error });
}

function send(response: ServerResponse, { requestId, status, contentType, text, headers }: Reply): void {
  response.writeHead(status, {
    ...headers,
    'x-amzn-requestid': requestId,
    'content-type': contentType,
    'content-length': Buffer.byteLength(text, 'utf8'),
  });
  response.end(text);
}

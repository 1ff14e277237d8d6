import { AwsApiError } from './errors.ts';
import { element, indexedPrefixes, type QueryParams, readStringList, readStringMap } from './query.ts';
import type { ReceivedMessage, SqsService } from './sqs.ts';
import type { SqsInput, SqsMessageAttribute } from './sqs-validation.ts';

/**
 * SQS's two wire protocols over one set of operations. Current SDKs and CLIs speak
 * JSON (`X-Amz-Target: AmazonSQS.<Operation>`); older ones speak Query (`Action=`, XML).
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-json-faqs.html
 */
export const SQS_XML_NAMESPACE = 'http://queue.amazonaws.com/doc/2012-11-05/';

export const SQS_ACTIONS = new Set([
  'CreateQueue',
  'GetQueueUrl',
  'ListQueues',
  'GetQueueAttributes',
  'SetQueueAttributes',
  'DeleteQueue',
  'PurgeQueue',
  'SendMessage',
  'SendMessageBatch',
  'ReceiveMessage',
  'DeleteMessage',
  'DeleteMessageBatch',
  'ChangeMessageVisibility',
]);

export async function runSqsOperation(
  sqs: SqsService,
  operation: string,
  input: SqsInput,
  signal: AbortSignal,
): Promise<object> {
  switch (operation) {
    case 'CreateQueue':
      return sqs.createQueue(input);
    case 'GetQueueUrl':
      return sqs.getQueueUrl(input);
    case 'ListQueues':
      return sqs.listQueues(input);
    case 'GetQueueAttributes':
      return sqs.getQueueAttributes(input);
    case 'SetQueueAttributes':
      return sqs.setQueueAttributes(input);
    case 'DeleteQueue':
      return sqs.deleteQueue(input);
    case 'PurgeQueue':
      return sqs.purgeQueue(input);
    case 'SendMessage':
      return sqs.sendMessage(input);
    case 'SendMessageBatch':
      return sqs.sendMessageBatch(input);
    case 'ReceiveMessage':
      return sqs.receiveMessage(input, signal);
    case 'DeleteMessage':
      return sqs.deleteMessage(input);
    case 'DeleteMessageBatch':
      return sqs.deleteMessageBatch(input);
    case 'ChangeMessageVisibility':
      return sqs.changeMessageVisibility(input);
    default:
      throw new AwsApiError(
        'UnknownOperationException',
        `The action or operation ${operation} is not valid.`,
        {
          queryCode: 'InvalidAction',
        },
      );
  }
}

/** Query parameters mapped onto the JSON protocol's input names. */
export function sqsQueryInput(params: QueryParams, path: string): SqsInput {
  const input: SqsInput = {};
  for (const [key, value] of params) {
    if (!key.includes('.') && key !== 'Action' && key !== 'Version') input[key] = value;
  }
  // Older clients put the queue in the path rather than in a QueueUrl parameter.
  if (input.QueueUrl === undefined && /^\/\d{12}\/[^/]+\/?$/.test(path)) input.QueueUrl = path;
  const attributes = readStringMap(params, 'Attribute', 'Name', 'Value');
  if (Object.keys(attributes).length > 0) input.Attributes = attributes;
  const tags = readStringMap(params, 'Tag', 'Key', 'Value');
  if (Object.keys(tags).length > 0) input.tags = tags;
  for (const [list, name] of [
    ['AttributeName', 'AttributeNames'],
    ['MessageSystemAttributeName', 'MessageSystemAttributeNames'],
    ['MessageAttributeName', 'MessageAttributeNames'],
  ] as const) {
    const values = readStringList(params, list);
    if (values.length > 0) input[name] = values;
  }
  const messageAttributes = queryMessageAttributes(params, 'MessageAttribute');
  if (messageAttributes !== undefined) input.MessageAttributes = messageAttributes;
  for (const entryName of ['SendMessageBatchRequestEntry', 'DeleteMessageBatchRequestEntry']) {
    const entries = indexedPrefixes(params, entryName).map((prefix) => {
      const entry: SqsInput = {};
      for (const field of ['Id', 'MessageBody', 'DelaySeconds', 'ReceiptHandle']) {
        const value = params.get(`${prefix}.${field}`);
        if (value !== undefined) entry[field] = value;
      }
      const entryAttributes = queryMessageAttributes(params, `${prefix}.MessageAttribute`);
      if (entryAttributes !== undefined) entry.MessageAttributes = entryAttributes;
      return entry;
    });
    if (entries.length > 0) input.Entries = entries;
  }
  return input;
}

function queryMessageAttributes(
  params: QueryParams,
  prefix: string,
): Record<string, Record<string, string>> | undefined {
  const entries = indexedPrefixes(params, prefix);
  if (entries.length === 0) return undefined;
  const attributes: Record<string, Record<string, string>> = {};
  for (const entry of entries) {
    const name = params.get(`${entry}.Name`);
    if (name === undefined) continue;
    const value: Record<string, string> = {};
    for (const field of ['DataType', 'StringValue', 'BinaryValue']) {
      const fieldValue = params.get(`${entry}.Value.${field}`);
      if (fieldValue !== undefined) value[field] = fieldValue;
    }
    attributes[name] = value;
  }
  return attributes;
}

/** The children of `<ActionResult>` for the Query protocol; undefined when the action has no result. */
export function sqsQueryResult(action: string, output: object): string[] | undefined {
  const result = output as Record<string, unknown>;
  switch (action) {
    case 'CreateQueue':
    case 'GetQueueUrl':
      return [element('QueueUrl', result.QueueUrl as string)];
    case 'ListQueues':
      return [
        ...((result.QueueUrls as string[] | undefined) ?? []).map((url) => element('QueueUrl', url)),
        element('NextToken', result.NextToken as string | undefined),
      ];
    case 'GetQueueAttributes':
      return Object.entries((result.Attributes as Record<string, string> | undefined) ?? {}).map(
        ([name, value]) => element('Attribute', [element('Name', name), element('Value', value)]),
      );
    case 'SendMessage':
      return [
        element('MessageId', result.MessageId as string),
        element('MD5OfMessageBody', result.MD5OfMessageBody as string),
        element('MD5OfMessageAttributes', result.MD5OfMessageAttributes as string | undefined),
      ];
    case 'ReceiveMessage':
      return ((result.Messages as ReceivedMessage[] | undefined) ?? []).map(receivedMessageXml);
    case 'SendMessageBatch':
    case 'DeleteMessageBatch':
      return batchXml(action, result);
    default:
      return undefined;
  }
}

function receivedMessageXml(message: ReceivedMessage): string {
  return element('Message', [
    element('MessageId', message.MessageId),
    element('ReceiptHandle', message.ReceiptHandle),
    element('MD5OfBody', message.MD5OfBody),
    element('Body', message.Body),
    ...Object.entries(message.Attributes ?? {}).map(([name, value]) =>
      element('Attribute', [element('Name', name), element('Value', value)]),
    ),
    element('MD5OfMessageAttributes', message.MD5OfMessageAttributes),
    ...Object.entries(message.MessageAttributes ?? {}).map(([name, value]) =>
      messageAttributeXml(name, value),
    ),
  ]);
}

function messageAttributeXml(name: string, value: SqsMessageAttribute): string {
  return element('MessageAttribute', [
    element('Name', name),
    element('Value', [
      element('StringValue', value.StringValue),
      element('BinaryValue', value.BinaryValue),
      element('DataType', value.DataType),
    ]),
  ]);
}

function batchXml(action: string, result: Record<string, unknown>): string[] {
  const successful = (result.Successful as Record<string, unknown>[] | undefined) ?? [];
  const failed = (result.Failed as Record<string, unknown>[] | undefined) ?? [];
  const fields = (entry: Record<string, unknown>): string[] =>
    Object.entries(entry).map(([key, value]) => element(key, value as string | boolean | undefined));
  return [
    ...successful.map((entry) => element(`${action}ResultEntry`, fields(entry))),
    ...failed.map((entry) => element('BatchResultErrorEntry', fields(entry))),
  ];
}

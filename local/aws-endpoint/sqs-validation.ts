import { createHash } from 'node:crypto';
import { AwsApiError } from './errors.ts';
import { isRecord } from './files.ts';

/**
 * SQS's input rules and error names, and the MD5 digests the SDKs verify on SendMessage
 * and ReceiveMessage.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-message-metadata.html#sqs-attributes-md5-message-digest-calculation
 */

/** SQS has accepted messages of up to 1 MiB since August 2025 (previously 256 KiB). */
export const MAX_SQS_MESSAGE_BYTES = 1024 * 1024;
export const MAX_SQS_MESSAGE_ATTRIBUTES = 10;

export interface SqsMessageAttribute {
  DataType: string;
  StringValue?: string;
  /** Base64 (both the JSON and the Query protocol carry blobs as base64 text). */
  BinaryValue?: string;
}

/** An SQS error: its JSON shape name, its Query code (read by the SDK from `x-amzn-query-error`), its message. */
export function sqsError(shape: string, message: string, queryCode = shape): AwsApiError {
  return new AwsApiError(shape, message, { queryCode });
}

export const queueDoesNotExist = (): AwsApiError =>
  sqsError(
    'QueueDoesNotExist',
    'The specified queue does not exist.',
    'AWS.SimpleQueueService.NonExistentQueue',
  );

export const missingParameter = (name: string): AwsApiError =>
  sqsError('MissingParameter', `The request must contain the parameter ${name}.`);

export const invalidParameterValue = (message: string): AwsApiError =>
  sqsError('InvalidParameterValue', message);

/** The JSON protocol's input, or the Query protocol's parameters mapped onto the same names. */
export type SqsInput = Record<string, unknown>;

export function optionalString(input: SqsInput, name: string): string | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw serializationError(name);
  return value;
}

export function requiredString(input: SqsInput, name: string): string {
  const value = optionalString(input, name);
  if (value === undefined || value.length === 0) throw missingParameter(name);
  return value;
}

/** An integer parameter (a number in JSON, a numeral in Query) within SQS's documented bounds. */
export function optionalInteger(input: SqsInput, name: string, min: number, max: number): number | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  const number = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number)) throw serializationError(name);
  if (number < min || number > max) {
    throw invalidParameterValue(
      `Value ${number} for parameter ${name} is invalid. Reason: Must be between ${min} and ${max}.`,
    );
  }
  return number;
}

export function optionalStringList(input: SqsInput, name: string): string[] | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string'))
    throw serializationError(name);
  return value;
}

export function optionalStringMap(input: SqsInput, name: string): Record<string, string> {
  const value = input[name];
  if (value === undefined || value === null) return {};
  if (!isRecord(value) || !Object.values(value).every((item) => typeof item === 'string')) {
    throw serializationError(name);
  }
  return value as Record<string, string>;
}

export function serializationError(name: string): AwsApiError {
  return new AwsApiError('SerializationException', `The value of ${name} has the wrong type.`, {
    queryCode: 'InvalidParameterValue',
  });
}

const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}$/;

export function validateQueueName(name: string): void {
  if (name.endsWith('.fifo')) {
    throw sqsError(
      'UnsupportedOperation',
      'FIFO queues are not supported by the local endpoint.',
      'AWS.SimpleQueueService.UnsupportedOperation',
    );
  }
  if (!QUEUE_NAME.test(name)) {
    throw invalidParameterValue(
      'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length',
    );
  }
}

/** The queue attributes that can be set, their defaults and bounds. */
const QUEUE_ATTRIBUTE_BOUNDS: Record<string, { default: string; min: number; max: number }> = {
  DelaySeconds: { default: '0', min: 0, max: 900 },
  MaximumMessageSize: { default: String(MAX_SQS_MESSAGE_BYTES), min: 1024, max: MAX_SQS_MESSAGE_BYTES },
  MessageRetentionPeriod: { default: '345600', min: 60, max: 1_209_600 },
  ReceiveMessageWaitTimeSeconds: { default: '0', min: 0, max: 20 },
  VisibilityTimeout: { default: '30', min: 0, max: 43_200 },
  KmsDataKeyReusePeriodSeconds: { default: '300', min: 60, max: 86_400 },
};
/** Stored as given (policies are not enforced locally). */
const FREE_FORM_QUEUE_ATTRIBUTES = new Set([
  'Policy',
  'RedrivePolicy',
  'RedriveAllowPolicy',
  'KmsMasterKeyId',
  'SqsManagedSseEnabled',
]);

export const DEFAULT_QUEUE_ATTRIBUTES: Record<string, string> = {
  ...Object.fromEntries(
    Object.entries(QUEUE_ATTRIBUTE_BOUNDS).map(([name, bounds]) => [name, bounds.default]),
  ),
  SqsManagedSseEnabled: 'true',
};

export function validateQueueAttributes(attributes: Record<string, string>): void {
  for (const [name, value] of Object.entries(attributes)) {
    if (name === 'FifoQueue' || name === 'ContentBasedDeduplication') {
      if (name === 'FifoQueue' && value === 'false') continue;
      throw sqsError(
        'UnsupportedOperation',
        'FIFO queues are not supported by the local endpoint.',
        'AWS.SimpleQueueService.UnsupportedOperation',
      );
    }
    const bounds = QUEUE_ATTRIBUTE_BOUNDS[name];
    if (bounds !== undefined) {
      const number = /^\d+$/.test(value) ? Number(value) : Number.NaN;
      if (!(number >= bounds.min && number <= bounds.max)) {
        throw sqsError('InvalidAttributeValue', `Invalid value for the parameter ${name}.`);
      }
      continue;
    }
    if (FREE_FORM_QUEUE_ATTRIBUTES.has(name)) {
      if (name === 'SqsManagedSseEnabled' && value !== 'true' && value !== 'false') {
        throw sqsError('InvalidAttributeValue', `Invalid value for the parameter ${name}.`);
      }
      continue;
    }
    throw sqsError('InvalidAttributeName', `Unknown Attribute ${name}.`);
  }
}

/** XML 1.0's characters: what SQS accepts in a body and in string attributes. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the allowed set is defined by code points
const DISALLOWED_CHARACTER = /[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/u;

export function validateMessageBody(body: string): void {
  const bad = DISALLOWED_CHARACTER.exec(body);
  if (bad !== null) {
    const code = bad[0].codePointAt(0)?.toString(16) ?? '?';
    throw sqsError(
      'InvalidMessageContents',
      `Invalid characters found. Invalid binary character '#x${code}' was found in the message body, the set of allowed characters is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF`,
    );
  }
}

const ATTRIBUTE_NAME = /^[A-Za-z0-9_.-]{1,256}$/;

export function validateMessageAttributes(raw: unknown): Record<string, SqsMessageAttribute> {
  if (raw === undefined || raw === null) return {};
  if (!isRecord(raw)) throw serializationError('MessageAttributes');
  const entries = Object.entries(raw);
  if (entries.length > MAX_SQS_MESSAGE_ATTRIBUTES) {
    throw invalidParameterValue(
      `Number of message attributes [${entries.length}] exceeds the allowed maximum [${MAX_SQS_MESSAGE_ATTRIBUTES}].`,
    );
  }
  const attributes: Record<string, SqsMessageAttribute> = {};
  for (const [name, value] of entries) {
    if (
      !ATTRIBUTE_NAME.test(name) ||
      /^(aws|amazon)\./i.test(name) ||
      name.startsWith('.') ||
      name.endsWith('.') ||
      name.includes('..')
    ) {
      throw invalidParameterValue(`Message (user) attribute name '${name}' is invalid.`);
    }
    if (!isRecord(value)) throw serializationError(`MessageAttributes.${name}`);
    const dataType = value.DataType;
    const baseType =
      typeof dataType === 'string' ? /^(String|Number|Binary)(\..+)?$/.exec(dataType)?.[1] : undefined;
    if (typeof dataType !== 'string' || baseType === undefined || dataType.length > 256) {
      throw invalidParameterValue(`The type of message (user) attribute '${name}' is invalid.`);
    }
    const field = baseType === 'Binary' ? 'BinaryValue' : 'StringValue';
    const content = value[field];
    if (typeof content !== 'string' || content.length === 0) {
      throw invalidParameterValue(
        `Message (user) attribute '${name}' must contain a non-empty value of type '${baseType}'.`,
      );
    }
    if (baseType === 'Number' && !Number.isFinite(Number(content))) {
      throw invalidParameterValue(`Can't cast the value of message (user) attribute '${name}' to a number.`);
    }
    if (baseType !== 'Binary') validateMessageBody(content);
    attributes[name] = { DataType: dataType, [field]: content };
  }
  return attributes;
}

/** What counts towards the message size limit: body, attribute names, types and values. */
export function sqsMessageSize(body: string, attributes: Record<string, SqsMessageAttribute>): number {
  let size = Buffer.byteLength(body, 'utf8');
  for (const [name, attribute] of Object.entries(attributes)) {
    size += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(attribute.DataType, 'utf8');
    size += attributeBytes(attribute).byteLength;
  }
  return size;
}

function attributeBytes(attribute: SqsMessageAttribute): Buffer {
  return attribute.BinaryValue !== undefined
    ? Buffer.from(attribute.BinaryValue, 'base64')
    : Buffer.from(attribute.StringValue ?? '', 'utf8');
}

export function md5Hex(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

/**
 * MD5 of message attributes, as SQS computes it: names sorted, each written as
 * length-prefixed name, length-prefixed type, a transport byte (1 string, 2 binary)
 * and the length-prefixed value. Lengths are 4-byte big-endian.
 */
export function md5OfMessageAttributes(attributes: Record<string, SqsMessageAttribute>): string | undefined {
  const names = Object.keys(attributes).sort();
  if (names.length === 0) return undefined;
  const hash = createHash('md5');
  const lengthPrefixed = (bytes: Buffer): void => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.byteLength);
    hash.update(length);
    hash.update(bytes);
  };
  for (const name of names) {
    const attribute = attributes[name] as SqsMessageAttribute;
    lengthPrefixed(Buffer.from(name, 'utf8'));
    lengthPrefixed(Buffer.from(attribute.DataType, 'utf8'));
    hash.update(Buffer.from([attribute.BinaryValue !== undefined ? 2 : 1]));
    lengthPrefixed(attributeBytes(attribute));
  }
  return hash.digest('hex');
}

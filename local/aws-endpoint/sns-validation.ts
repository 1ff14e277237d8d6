import type { SnsOutboxEntry } from '../types.ts';
import { AwsApiError } from './errors.ts';
import type { RawMessageAttribute } from './query.ts';

/**
 * SNS's limits and input rules, checked the way SNS checks them, with its error codes.
 * https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
 * https://docs.aws.amazon.com/sns/latest/api/API_PublishBatch.html
 * https://docs.aws.amazon.com/sns/latest/dg/sns-message-attributes.html
 */

/** A message, its attributes included, is at most 256 KiB. */
export const MAX_MESSAGE_BYTES = 256 * 1024;
/** PublishBatch: at most 10 entries, all together at most 256 KiB. */
export const MAX_BATCH_ENTRIES = 10;
/** A subject is ASCII text of fewer than 100 characters. */
export const MAX_SUBJECT_LENGTH = 99;

export type SnsMessageAttribute = SnsOutboxEntry['messageAttributes'][string] & {
  /** Base64, for `Binary` attributes. */
  BinaryValue?: string;
};

export function invalidParameter(what: string): AwsApiError {
  return new AwsApiError('InvalidParameter', `Invalid parameter: ${what}`);
}

function invalidAttribute(message: string): AwsApiError {
  // SNS answers attribute problems with InvalidParameterValueException (Query code ParameterValueInvalid).
  return new AwsApiError('ParameterValueInvalid', message);
}

/**
 * Subjects "must be ASCII text that begins with a letter, number, or punctuation mark;
 * must not include line breaks or control characters; and must be less than 100
 * characters long" (Publish API reference).
 */
export function validateSubject(subject: string | undefined): void {
  if (subject === undefined) return;
  if (subject.length === 0 || subject.length > MAX_SUBJECT_LENGTH || !/^[!-~][ -~]*$/.test(subject)) {
    throw invalidParameter('Subject');
  }
}

export function validateMessageBody(message: string | undefined, structure: string | undefined): string {
  if (message === undefined) throw invalidParameter('Message');
  if (message.length === 0) throw invalidParameter('Empty message');
  if (structure !== undefined) {
    if (structure !== 'json') throw invalidParameter('MessageStructure');
    let parsed: unknown;
    try {
      parsed = JSON.parse(message);
    } catch {
      throw invalidParameter('Message Structure - JSON message body failed to parse');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !('default' in parsed)) {
      throw invalidParameter('Message Structure - No default entry in JSON message body');
    }
  }
  return message;
}

const ATTRIBUTE_NAME = /^[A-Za-z0-9_.-]{1,256}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

export function validateMessageAttributes(
  raw: Record<string, RawMessageAttribute>,
): Record<string, SnsMessageAttribute> {
  const attributes: Record<string, SnsMessageAttribute> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (
      !ATTRIBUTE_NAME.test(name) ||
      /^(aws|amazon)\./i.test(name) ||
      name.startsWith('.') ||
      name.endsWith('.') ||
      name.includes('..')
    ) {
      throw invalidAttribute(`The message attribute name '${name}' is invalid.`);
    }
    const dataType = value.DataType;
    if (dataType === undefined || dataType.length === 0) {
      throw invalidAttribute(`The message attribute '${name}' must contain a message attribute type.`);
    }
    const baseType = /^(String\.Array|String|Number|Binary)(\..+)?$/.exec(dataType)?.[1];
    if (baseType === undefined || dataType.length > 256) {
      throw invalidAttribute(
        `The message attribute '${name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.`,
      );
    }
    if (baseType === 'Binary') {
      const binary = value.BinaryValue;
      if (binary === undefined || binary.length === 0 || !BASE64.test(binary)) {
        throw invalidAttribute(
          `The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${baseType}'.`,
        );
      }
      attributes[name] = { DataType: dataType, BinaryValue: binary };
      continue;
    }
    const text = value.StringValue;
    if (text === undefined || text.length === 0) {
      throw invalidAttribute(
        `The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${baseType}'.`,
      );
    }
    if (baseType === 'Number' && (!NUMBER.test(text.trim()) || !Number.isFinite(Number(text)))) {
      throw invalidAttribute(`Could not cast message attribute '${name}' value to number.`);
    }
    if (baseType === 'String.Array' && !isJsonArray(text)) {
      throw invalidAttribute(
        `The message attribute '${name}' with type 'String.Array' must be a JSON array.`,
      );
    }
    attributes[name] = { DataType: dataType, StringValue: text };
  }
  return attributes;
}

function isJsonArray(text: string): boolean {
  try {
    return Array.isArray(JSON.parse(text));
  } catch {
    return false;
  }
}

/** The size SNS counts against its 256 KiB limit: the body plus every attribute's name, type and value. */
export function messageSize(message: string, attributes: Record<string, SnsMessageAttribute>): number {
  let size = Buffer.byteLength(message, 'utf8');
  for (const [name, attribute] of Object.entries(attributes)) {
    size += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(attribute.DataType, 'utf8');
    if (attribute.StringValue !== undefined) size += Buffer.byteLength(attribute.StringValue, 'utf8');
    if (attribute.BinaryValue !== undefined) size += Buffer.from(attribute.BinaryValue, 'base64').byteLength;
  }
  return size;
}

const BATCH_ENTRY_ID = /^[A-Za-z0-9_-]{1,80}$/;

/** Whole-request checks on a batch; per-entry problems become `Failed` entries instead. */
export function validateBatchShape(ids: (string | undefined)[]): void {
  if (ids.length === 0) {
    throw new AwsApiError('EmptyBatchRequest', "The batch request doesn't contain any entries.");
  }
  if (ids.length > MAX_BATCH_ENTRIES) {
    throw new AwsApiError(
      'TooManyEntriesInBatchRequest',
      'The batch request contains more entries than permissible.',
    );
  }
  for (const id of ids) {
    if (id === undefined || !BATCH_ENTRY_ID.test(id)) {
      throw new AwsApiError(
        'InvalidBatchEntryId',
        'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
      );
    }
  }
  if (new Set(ids).size !== ids.length) {
    throw new AwsApiError(
      'BatchEntryIdsNotDistinct',
      'Two or more batch entries in the request have the same Id.',
    );
  }
}

const TOPIC_NAME = /^[A-Za-z0-9_-]{1,256}$/;

export function validateTopicName(name: string | undefined, fifo: boolean): string {
  if (name === undefined) throw invalidParameter('Topic Name');
  const base = fifo ? name.replace(/\.fifo$/, '') : name;
  if (!TOPIC_NAME.test(base) || name.length > 256 || fifo !== name.endsWith('.fifo')) {
    throw invalidParameter('Topic Name');
  }
  return name;
}

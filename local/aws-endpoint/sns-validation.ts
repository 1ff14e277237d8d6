import type { SnsOutboxEntry } from '../types.ts';
import { AwsApiError } from './errors.ts';
import type { RawMessageAttribute } from './query.ts';

/**
 * SNS's limits and input rules for Publish, checked the way SNS checks
 * them, with its error codes, so that a publish that would fail on AWS fails locally.
 * https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
 * https://docs.aws.amazon.com/sns/latest/dg/sns-message-attributes.html
 */

/** A message, its attributes included, is at most 256 KiB. */
export const MAX_MESSAGE_BYTES = 256 * 1024;
const ATTRIBUTE_NAME = /^[A-Za-z0-9_.-]{1,256}$/;
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

export type SnsMessageAttribute = SnsOutboxEntry['messageAttributes'][string] & {
  /** Base64, for `Binary` attributes. */
  BinaryValue?: string;
};

export function invalidParameter(what: string): AwsApiError {
  return new AwsApiError('InvalidParameter', `Invalid parameter: ${what}`);
}

/** SNS answers attribute problems with InvalidParameterValueException (Query code ParameterValueInvalid). */
function invalidAttribute(message: string): AwsApiError {
  return new AwsApiError('ParameterValueInvalid', message);
}

/**
 * Subjects "must be ASCII text that begins with a letter, number, or punctuation mark;
 * must not include line breaks or control characters; and must be less than 100
 * characters long" (Publish API reference).
 */
export function validateSubject(subject: string | undefined): void {
  if (subject !== undefined && !/^[!-~][ -~]{0,98}$/.test(subject)) throw invalidParameter('Subject');
}

export function validateMessageBody(message: string | undefined): string {
  if (message === undefined) throw invalidParameter('Message');
  if (message.length === 0) throw invalidParameter('Empty message');
  return message;
}

export function validateMessageAttributes(
  raw: Record<string, RawMessageAttribute>,
): Record<string, SnsMessageAttribute> {
  const attributes: Record<string, SnsMessageAttribute> = {};
  for (const [name, { DataType, StringValue, BinaryValue }] of Object.entries(raw)) {
    if (!ATTRIBUTE_NAME.test(name) || /^(aws|amazon)\./i.test(name) || /^\.|\.\.|\.$/.test(name)) {
      throw invalidAttribute(`The message attribute name '${name}' is invalid.`);
    }
    const baseType = /^(String\.Array|String|Number|Binary)(\..+)?$/.exec(DataType ?? '')?.[1];
    if (DataType === undefined || baseType === undefined || DataType.length > 256) {
      throw invalidAttribute(
        `The message attribute '${name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.`,
      );
    }
    const value = baseType === 'Binary' ? BinaryValue : StringValue;
    if (value === undefined || value.length === 0) {
      throw invalidAttribute(
        `The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${baseType}'.`,
      );
    }
    if (baseType === 'Number' && (!NUMBER.test(value.trim()) || !Number.isFinite(Number(value)))) {
      throw invalidAttribute(`Could not cast message attribute '${name}' value to number.`);
    }
    attributes[name] =
      baseType === 'Binary' ? { DataType, BinaryValue: value } : { DataType, StringValue: value };
  }
  return attributes;
}

/** The size SNS counts against its 256 KiB limit: the body plus every attribute's name, type and value. */
export function messageSize(message: string, attributes: Record<string, SnsMessageAttribute>): number {
  let size = Buffer.byteLength(message, 'utf8');
  for (const [name, { DataType, StringValue, BinaryValue }] of Object.entries(attributes)) {
    size += Buffer.byteLength(name + DataType + (StringValue ?? ''), 'utf8');
    if (BinaryValue !== undefined) size += Buffer.from(BinaryValue, 'base64').byteLength;
  }
  return size;
}

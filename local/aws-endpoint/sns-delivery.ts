import type { SnsOutboxEntry } from '../types.ts';
import { AwsApiError } from './errors.ts';
import { isRecord } from './files.ts';

/**
 * Delivery to `sqs` subscriptions: the JSON notification SNS wraps a message in, and the
 * attribute-based subscription filter policies.
 * https://docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html
 * https://docs.aws.amazon.com/sns/latest/dg/sns-subscription-filter-policies.html
 */

/** The notification envelope. Local notifications are not signed: there is no certificate to check them with. */
export function snsNotification(entry: SnsOutboxEntry, subscriptionArn: string): Record<string, unknown> {
  const attributes = Object.entries(entry.messageAttributes);
  return {
    Type: 'Notification',
    MessageId: entry.messageId,
    TopicArn: entry.topicArn,
    ...(entry.subject === undefined ? {} : { Subject: entry.subject }),
    Message: entry.message,
    Timestamp: entry.timestamp,
    SignatureVersion: '1',
    Signature: 'local-unsigned',
    UnsubscribeURL: `local:unsubscribe:${subscriptionArn}`,
    ...(attributes.length === 0
      ? {}
      : {
          MessageAttributes: Object.fromEntries(
            attributes.map(([name, value]) => [
              name,
              { Type: value.DataType, Value: value.StringValue ?? attributeBinary(value) },
            ]),
          ),
        }),
  };
}

function attributeBinary(value: object): string | undefined {
  return 'BinaryValue' in value && typeof value.BinaryValue === 'string' ? value.BinaryValue : undefined;
}

const OPERATORS = new Set(['exists', 'prefix', 'suffix', 'equals-ignore-case', 'anything-but', 'numeric']);

function unsupported(reason: string): AwsApiError {
  return new AwsApiError('InvalidParameter', `Invalid parameter: FilterPolicy: ${reason}`);
}

/**
 * Accepts the attribute-scope policies made of exact values and the operators above;
 * anything else is refused at Subscribe rather than silently matching wrong later.
 */
export function assertSupportedFilterPolicy(policyText: string): void {
  let policy: unknown;
  try {
    policy = JSON.parse(policyText);
  } catch {
    throw unsupported('failed to parse JSON');
  }
  if (!isRecord(policy)) throw unsupported('must be a JSON object');
  for (const [key, conditions] of Object.entries(policy)) {
    if (key === '$or') throw unsupported('"$or" is not supported by the local endpoint');
    if (!Array.isArray(conditions)) throw unsupported(`"${key}" must be an array`);
    for (const condition of conditions) {
      if (typeof condition === 'string' || typeof condition === 'number') continue;
      const operator = isRecord(condition) ? Object.keys(condition) : [];
      if (operator.length !== 1 || !OPERATORS.has(operator[0] ?? '')) {
        throw unsupported(`"${key}" uses a condition the local endpoint does not support`);
      }
    }
  }
}

type AttributeMap = SnsOutboxEntry['messageAttributes'];

export function matchesFilterPolicy(policyText: string, attributes: AttributeMap): boolean {
  const policy: unknown = JSON.parse(policyText);
  if (!isRecord(policy)) return false;
  return Object.entries(policy).every(([key, conditions]) => {
    const attribute = attributes[key];
    const values = attribute === undefined ? [] : attributeValues(attribute);
    return (
      Array.isArray(conditions) &&
      conditions.some((condition: unknown) => matchesCondition(condition, attribute !== undefined, values))
    );
  });
}

function attributeValues(attribute: AttributeMap[string]): (string | number)[] {
  const text = attribute.StringValue;
  if (text === undefined) return [];
  if (attribute.DataType.startsWith('Number')) return [Number(text)];
  if (attribute.DataType.startsWith('String.Array')) {
    try {
      const parsed: unknown = JSON.parse(text);
      return Array.isArray(parsed)
        ? parsed.filter((v): v is string | number => typeof v === 'string' || typeof v === 'number')
        : [];
    } catch {
      return [];
    }
  }
  return [text];
}

function matchesCondition(condition: unknown, present: boolean, values: (string | number)[]): boolean {
  if (typeof condition === 'string' || typeof condition === 'number') return values.includes(condition);
  if (!isRecord(condition)) return false;
  if ('exists' in condition) return condition.exists === present;
  return values.some((value) => matchesOperator(condition, value));
}

function matchesOperator(condition: Record<string, unknown>, value: string | number): boolean {
  const { prefix, suffix, numeric } = condition;
  if (typeof prefix === 'string') return typeof value === 'string' && value.startsWith(prefix);
  if (typeof suffix === 'string') return typeof value === 'string' && value.endsWith(suffix);
  const ignoringCase = condition['equals-ignore-case'];
  if (typeof ignoringCase === 'string') {
    return typeof value === 'string' && value.toLowerCase() === ignoringCase.toLowerCase();
  }
  if ('anything-but' in condition) {
    const excluded = condition['anything-but'];
    if (isRecord(excluded) && typeof excluded.prefix === 'string') {
      return typeof value === 'string' && !value.startsWith(excluded.prefix);
    }
    return !(Array.isArray(excluded) ? excluded : [excluded]).includes(value);
  }
  if (Array.isArray(numeric)) return typeof value === 'number' && matchesNumeric(numeric, value);
  return false;
}

function matchesNumeric(comparisons: unknown[], value: number): boolean {
  for (let i = 0; i + 1 < comparisons.length; i += 2) {
    const operator = comparisons[i];
    const bound = comparisons[i + 1];
    if (typeof bound !== 'number') return false;
    const ok =
      (operator === '=' && value === bound) ||
      (operator === '<' && value < bound) ||
      (operator === '<=' && value <= bound) ||
      (operator === '>' && value > bound) ||
      (operator === '>=' && value >= bound);
    if (!ok) return false;
  }
  return true;
}

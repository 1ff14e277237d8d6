import type { AwsApiError } from './errors.ts';

/**
 * The AWS Query protocol: requests are `application/x-www-form-urlencoded` key/value pairs
 * whose keys flatten structures (`MessageAttributes.entry.1.Value.DataType`), responses are
 * XML (`<ActionResponse><ActionResult>…</ActionResult><ResponseMetadata>…`).
 * https://smithy.io/2.0/aws/protocols/aws-query-protocol.html
 */
export type QueryParams = ReadonlyMap<string, string>;

/** Parameters from the URL's query string and the form body (the body wins on a clash). */
export function parseQueryParams(search: string, body: string): QueryParams {
  const params = new Map<string, string>();
  for (const [key, value] of new URLSearchParams(search)) params.set(key, value);
  for (const [key, value] of new URLSearchParams(body)) params.set(key, value);
  return params;
}

/**
 * The numbered members under `prefix` (`prefix.1`, `prefix.2`, …), as their full key
 * prefixes in index order. Built from the keys actually present, so a client cannot make
 * us loop by sending a huge index.
 */
export function indexedPrefixes(params: QueryParams, prefix: string): string[] {
  const indexes = new Set<number>();
  const head = `${prefix}.`;
  for (const key of params.keys()) {
    if (!key.startsWith(head)) continue;
    const index = key.slice(head.length).split('.', 1)[0] ?? '';
    if (/^[1-9][0-9]{0,5}$/.test(index)) indexes.add(Number(index));
  }
  return [...indexes].sort((a, b) => a - b).map((index) => `${prefix}.${index}`);
}

/** A message attribute as it arrives on the wire, before validation. */
export interface RawMessageAttribute {
  DataType?: string;
  StringValue?: string;
  /** Base64, as the Query protocol carries blobs. */
  BinaryValue?: string;
}

/** Message attributes: `prefix.N.Name` and `prefix.N.Value.{DataType,StringValue,BinaryValue}`. */
export function readMessageAttributes(
  params: QueryParams,
  prefix: string,
): Record<string, RawMessageAttribute> {
  const attributes: Record<string, RawMessageAttribute> = {};
  for (const entry of indexedPrefixes(params, prefix)) {
    const name = params.get(`${entry}.Name`);
    if (name === undefined) continue;
    const attribute: RawMessageAttribute = {};
    for (const field of ['DataType', 'StringValue', 'BinaryValue'] as const) {
      const value = params.get(`${entry}.Value.${field}`);
      if (value !== undefined) attribute[field] = value;
    }
    attributes[name] = attribute;
  }
  return attributes;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what must be escaped
const XML_SPECIAL = /[&<>"'\r\u0000-\u0008\u000b\u000c\u000e-\u001f]/g;

/**
 * Escapes text for an XML element, as character references: carriage returns and other
 * control characters too, so that the SDK's parser gives back exactly what was stored.
 */
export function escapeXml(text: string): string {
  return text.replace(XML_SPECIAL, (char) => `&#${char.charCodeAt(0)};`);
}

/** `<tag>…</tag>`; text is escaped, nested elements are passed as arrays of already-built XML. */
export function element(tag: string, content: string | number | boolean | string[] | undefined): string {
  if (content === undefined) return '';
  if (Array.isArray(content)) return `<${tag}>${content.join('')}</${tag}>`;
  return `<${tag}>${escapeXml(String(content))}</${tag}>`;
}

export function queryResponse(
  action: string,
  namespace: string,
  result: string[],
  requestId: string,
): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${namespace}">` +
    `${element(`${action}Result`, result)}${element('ResponseMetadata', [element('RequestId', requestId)])}</${action}Response>`
  );
}

export function queryErrorResponse(namespace: string, error: AwsApiError, requestId: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="${namespace}">` +
    element('Error', [
      element('Type', error.fault),
      element('Code', error.code),
      element('Message', error.message),
    ]) +
    `${element('RequestId', requestId)}</ErrorResponse>`
  );
}

import * as crypto from 'node:crypto';
import { runInNewContext } from 'node:vm';
import { resourceOf, type Template } from './template.ts';

/** What a CloudFront Function returns from a viewer request: the request, or a response. */
export interface GateAnswer {
  statusCode?: number;
  headers?: Record<string, { value: string }>;
  uri?: string;
  querystring?: Record<string, { value: string }>;
}

/** `{{resolve:secretsmanager:${EdgeSecret}:SecretString:::<version id>}}`, as the template writes it. */
const EDGE_SECRET_REFERENCE = /\{\{resolve:secretsmanager:\$\{EdgeSecret\}:SecretString:::([^}]*)\}\}/g;

/** The gate's code exactly as the template holds it, before CloudFormation resolves it. */
export function gateSource(template: Template): string {
  const code = resourceOf(template, 'ThumbnailsGate').Properties.FunctionCode as { 'Fn::Sub': string };
  return code['Fn::Sub'];
}

/**
 * The thumbnails gate of a packaged template, runnable: its `Fn::Sub` done with the given
 * value for each version of the edge secret it names ('' for the current one), then the
 * code evaluated as CloudFront Functions would, with `crypto` its one module.
 */
export function gateOf(
  template: Template,
  secretOfVersion: Record<string, string>,
): (uri: string, query: Record<string, string>, method?: string) => GateAnswer {
  const code = gateSource(template).replace(EDGE_SECRET_REFERENCE, (_match, version: string) => {
    const secret = secretOfVersion[version];
    if (secret === undefined) throw new Error(`no test secret for version "${version}"`);
    return secret;
  });
  if (code.includes('${')) throw new Error('the gate has a substitution this test does not know');
  const context: { require: () => typeof crypto; handler?: (event: unknown) => GateAnswer } = {
    require: () => crypto,
  };
  runInNewContext(code, context);
  return (uri, query, method = 'GET') => {
    const querystring = Object.fromEntries(Object.entries(query).map(([name, value]) => [name, { value }]));
    const request = { method, uri, querystring, headers: {}, cookies: {} };
    const answer = context.handler?.({ version: '1.0', context: { eventType: 'viewer-request' }, request });
    if (!answer) throw new Error('the gate returned nothing');
    return answer;
  };
}

/** The query of a link such as signedThumbnailLink makes. */
export function linkParts(link: string): { uri: string; query: Record<string, string> } {
  const url = new URL(link, 'https://dashboard.test');
  return { uri: url.pathname, query: Object.fromEntries(url.searchParams) };
}

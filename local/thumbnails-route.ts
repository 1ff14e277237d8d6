import * as crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { runInNewContext } from 'node:vm';
import type { StackResources } from './resources.ts';
import type { Json } from './service-config.ts';

/**
 * The distribution's thumbnails behaviour (`/thumbnails/*` in serverless.yml) in front of
 * the local S3, so pages and their images behave as on AWS: the behaviour's own CloudFront
 * Function judges each request (its code, from serverless.yml, run in a VM), the bucket is
 * asked the way origin access control asks it (no ListBucket: a missing key is a 403), and
 * the answer gets the headers of the behaviour's response headers policy.
 */
type Obj = Record<string, Json>;
type GateResult = { statusCode?: number; headers?: Record<string, { value: string }>; uri?: string };
export type EdgeRoute = (request: IncomingMessage, response: ServerResponse) => Promise<boolean>;

/** The S3 headers CloudFront passes on to the browser (and that a browser acts on). */
const OBJECT_HEADERS = ['content-type', 'content-length', 'cache-control', 'etag', 'last-modified'];

const obj = (value: Json | undefined): Obj =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? value : {};

/** `!GetAtt X.Attr` or `!Ref X` → `X`. */
function logicalIdOf(value: Json | undefined): string {
  const { Ref: ref, 'Fn::GetAtt': getAtt } = obj(value);
  const target = ref ?? (Array.isArray(getAtt) ? getAtt[0] : String(getAtt).split('.')[0]);
  if (typeof target !== 'string') throw new Error(`not a reference: ${JSON.stringify(value)}`);
  return target;
}

/** The headers a response headers policy adds (those serverless.yml's policy uses). */
export function responseHeadersOf(policy: Obj): Record<string, string> {
  const security = obj(policy.SecurityHeadersConfig);
  const hsts = obj(security.StrictTransportSecurity);
  const headers: Record<string, string> = {};
  if (security.ContentTypeOptions) headers['x-content-type-options'] = 'nosniff';
  if (security.FrameOptions) headers['x-frame-options'] = String(obj(security.FrameOptions).FrameOption);
  if (security.ReferrerPolicy)
    headers['referrer-policy'] = String(obj(security.ReferrerPolicy).ReferrerPolicy);
  if (security.ContentSecurityPolicy) {
    headers['content-security-policy'] = String(obj(security.ContentSecurityPolicy).ContentSecurityPolicy);
  }
  if (security.StrictTransportSecurity) {
    const flags = `${hsts.IncludeSubdomains ? '; includeSubDomains' : ''}${hsts.Preload ? '; preload' : ''}`;
    headers['strict-transport-security'] = `max-age=${hsts.AccessControlMaxAgeSec}${flags}`;
  }
  for (const item of (obj(policy.CustomHeadersConfig).Items ?? []) as Obj[]) {
    headers[String(item.Header).toLowerCase()] = String(item.Value);
  }
  return headers;
}

/** The stack's distribution's thumbnails behaviour; a route that answers nothing without one. */
export function thumbnailsRoute(stack: StackResources, s3Url: string): EdgeRoute {
  const [, distribution] = stack.resourcesOfType('AWS::CloudFront::Distribution')[0] ?? [];
  const config = obj(distribution?.Properties?.DistributionConfig);
  const behaviour = ((config.CacheBehaviors ?? []) as Obj[]).find((b) =>
    String(b.PathPattern).endsWith('/*'),
  );
  if (!behaviour) return async () => false;
  const prefix = String(behaviour.PathPattern).slice(0, -1);
  const origin = ((config.Origins ?? []) as Obj[]).find((o) => o.Id === behaviour.TargetOriginId);
  const bucket = stack.ref(logicalIdOf(origin?.DomainName));
  const gateId = logicalIdOf(((behaviour.FunctionAssociations ?? []) as Obj[])[0]?.FunctionARN);
  const code = stack.resolveString(stack.resources[gateId]?.Properties?.FunctionCode ?? '', gateId);
  // cloudfront-js-2.0 code: `require('crypto')` is its one module, Node's has the same API.
  const context: { require: () => typeof crypto; handler?: (event: unknown) => GateResult } = {
    require: () => crypto,
  };
  runInNewContext(code, context, { filename: gateId });
  const policyId = logicalIdOf(behaviour.ResponseHeadersPolicyId);
  const policy = obj(stack.resources[policyId]?.Properties?.ResponseHeadersPolicyConfig);
  const edgeHeaders = responseHeadersOf(policy);

  return async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (!url.pathname.startsWith(prefix)) return false;
    request.resume();
    const method = request.method ?? 'GET';
    // The behaviour allows GET and HEAD only; CloudFront refuses the rest with 403.
    const querystring = Object.fromEntries([...url.searchParams].map(([name, value]) => [name, { value }]));
    const gateRequest = { method, uri: url.pathname, querystring, headers: {}, cookies: {} };
    const event = { version: '1.0', context: { eventType: 'viewer-request' }, request: gateRequest };
    const judged = method === 'GET' || method === 'HEAD' ? context.handler?.(event) : { statusCode: 403 };
    if (!judged || judged.statusCode !== undefined) {
      const headers = Object.entries(judged?.headers ?? {}).map(([name, { value }]) => [name, value]);
      response.writeHead(judged?.statusCode ?? 500, { ...edgeHeaders, ...Object.fromEntries(headers) });
      response.end();
      return true;
    }
    // CloudFront answers conditional requests; S3 does the same for it.
    const conditions: Record<string, string> = {};
    for (const name of ['if-none-match', 'if-modified-since']) {
      const value = request.headers[name];
      if (typeof value === 'string') conditions[name] = value;
    }
    const object = await fetch(`${s3Url}/${bucket}${judged.uri}`, { method, headers: conditions });
    const found = object.status === 200 || object.status === 304;
    const headers = OBJECT_HEADERS.flatMap((name) => {
      const value = found ? object.headers.get(name) : null;
      return value === null ? [] : [[name, value] as const];
    });
    const bytes = Buffer.from(await object.arrayBuffer());
    const body = object.status === 200 && method === 'GET' ? bytes : undefined;
    // Without s3:ListBucket, S3 answers a missing key with 403 Access Denied.
    response.writeHead(object.status === 404 ? 403 : object.status, {
      ...Object.fromEntries(headers),
      ...edgeHeaders,
    });
    response.end(body);
    return true;
  };
}

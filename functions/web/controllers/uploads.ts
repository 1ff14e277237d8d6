import type { S3Client } from '@aws-sdk/client-s3';
import middy from '@middy/core';
import { type Access, accessOf } from '../auth/access.ts';
import type { WebConfig } from '../config.ts';
import type { Controller } from '../controllers.ts';
import type { HttpEvent, HttpResponse } from '../http-event.ts';
import { jsonBody } from '../middlewares/json-body.ts';
import { parseOrBadRequest, type UploadRequest, uploadRequestSchema } from '../params.ts';
import { HttpProblemError } from '../problem.ts';
import type { WebReads } from '../reads.ts';
import { jsonResponse } from '../responses.ts';
import { uploadTarget } from '../upload-keys.ts';
import { createUploadPost } from '../upload-post.ts';

/** Presigned POSTs are short-lived: the browser uses one straight away. */
export const UPLOAD_EXPIRES_SECONDS = 300;
/** An upload request is a few short fields. */
const MAX_UPLOAD_REQUEST_BYTES = 8 * 1024;

/**
 * The absolute URL S3 redirects the browser to after a form upload. It is only built for a
 * same-origin request (the Origin header names the host the request was sent to), so the
 * API cannot be used to bounce browsers to another site.
 */
function successRedirect(event: HttpEvent, returnTo: string | undefined, key: string): string | undefined {
  const origin = event.headers?.origin;
  const host = event.headers?.host;
  if (!returnTo || !origin || !host) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return undefined;
  }
  if (parsed.host !== host || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')) return undefined;
  const target = new URL(returnTo, parsed.origin);
  if (target.origin !== parsed.origin) return undefined;
  target.searchParams.set('uploaded', key);
  return target.toString();
}

export interface UploadDependencies {
  config: WebConfig;
  s3: S3Client;
  reads: WebReads;
  now: () => Date;
}

/**
 * What a manager limited to some stores may upload: photos of their stores' items, and no
 * inventory CSV, whose rows may be for any store (the import does not know who uploaded it).
 */
async function checkStoreScope(access: Access, request: UploadRequest, reads: WebReads): Promise<void> {
  if (!access.stores) return;
  if (request.kind === 'inventory') {
    throw new HttpProblemError(
      403,
      'Forbidden',
      'An inventory file may hold rows for any store: only managers who see every store upload them.',
    );
  }
  if (!(await reads.anyStoreHasItem(access.stores, request.item))) {
    throw new HttpProblemError(403, 'Forbidden', 'You may upload photos only of items your stores have.');
  }
}

/**
 * `POST /api/uploads`: a presigned POST for a CSV or a photo, for managers only (routes.ts;
 * the sign-in middleware answers 401/403 before the body is even parsed). Its own middy chain
 * parses the JSON body (413, 415, 400), as the JSON body parser runs for this route only.
 */
export function createUploadController({ config, s3, reads, now }: UploadDependencies): Controller {
  const apiUploads = async (event: HttpEvent): Promise<HttpResponse> => {
    // json-body has replaced the request's text by the value it parses to.
    const body: unknown = event.body;
    const request = parseOrBadRequest(uploadRequestSchema, body, 'body');
    const access = accessOf(event);
    await checkStoreScope(access, request, reads);
    const target = uploadTarget(request, now());
    const redirect = successRedirect(event, request.returnTo, target.key);
    const { subject } = access;
    const post = await createUploadPost(s3, {
      bucket: config.uploadsBucket,
      key: target.key,
      contentType: target.contentType,
      maxBytes: target.maxBytes,
      expiresInSeconds: UPLOAD_EXPIRES_SECONDS,
      ...(redirect ? { successRedirect: redirect } : {}),
      ...(subject ? { metadata: { 'uploaded-by': subject } } : {}),
    });
    const expiresAt = new Date(now().getTime() + UPLOAD_EXPIRES_SECONDS * 1000).toISOString();
    return jsonResponse({ url: post.url, fields: post.fields, ...target, expiresAt }, 200, {
      'cache-control': 'no-store',
    });
  };
  return middy<HttpEvent, HttpResponse>()
    .use(jsonBody({ maxBytes: MAX_UPLOAD_REQUEST_BYTES, what: 'upload request' }))
    .handler(apiUploads);
}

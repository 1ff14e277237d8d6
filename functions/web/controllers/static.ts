import { ASSETS } from '../assets.ts';
import type { Controller } from '../controllers.ts';
import { requestPath } from '../http-event.ts';
import { notFound } from '../problem.ts';

/** `/assets/app.css`, `/assets/app.js` and `/assets/favicon.svg`, the dashboard's only assets. */
export const asset: Controller = async (event) => {
  const found = ASSETS[requestPath(event)];
  if (!found) throw notFound('There is no such asset.');
  return {
    statusCode: 200,
    headers: {
      'content-type': found.contentType,
      'cache-control': 'public, max-age=300',
      etag: found.etag,
    },
    body: found.body,
  };
};

export const healthz: Controller = async () => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
  body: JSON.stringify({ status: 'ok' }),
});

import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import type { SignIn } from './auth/sign-in.ts';
import type { WebConfig } from './config.ts';
import { createApiControllers } from './controllers/api.ts';
import { createAuthControllers } from './controllers/auth.ts';
import { chromeFor, createPageControllers } from './controllers/pages.ts';
import { asset, healthz } from './controllers/static.ts';
import { createStockControllers } from './controllers/stock.ts';
import { createUploadController } from './controllers/uploads.ts';
import type { HttpEvent, HttpResponse } from './http-event.ts';
import type { ImageIndex } from './image-index.ts';
import { createWebReads } from './reads.ts';

export interface WebDependencies {
  config: WebConfig;
  documentClient: DynamoDBDocumentClient;
  s3: S3Client;
  imageIndex: ImageIndex;
  now?: () => Date;
  /** How long the store summaries are reused per container (ms). Default SUMMARIES_TTL_MS. */
  summariesTtlMs?: number;
}

/** A route's handler: a plain function, or a middy chain of its own (see the uploads). */
export type Controller = (event: HttpEvent, context: Context) => Promise<HttpResponse>;

/** Every controller, by route group, sharing one set of reads (and so one summaries cache). */
export function createControllers(dependencies: WebDependencies & { signIn: SignIn }) {
  const { config, s3, imageIndex, signIn } = dependencies;
  const now = dependencies.now ?? (() => new Date());
  const reads = createWebReads(dependencies);
  return {
    ...createPageControllers(config, reads, imageIndex, now),
    ...createStockControllers({ config, reads, imageIndex, chromeFor, now }),
    ...createApiControllers(config, reads),
    ...createAuthControllers(signIn),
    apiUploads: createUploadController({ config, s3, reads, now }),
    asset,
    healthz,
  };
}

export type Controllers = ReturnType<typeof createControllers>;

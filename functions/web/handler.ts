import { dynamoDbDocumentClient, s3Client } from '#shared/aws/clients.ts';
import { parseEnvironment } from '#shared/env.ts';
import { createObservability } from '#shared/observability.ts';
import { createWebHandler } from './app.ts';
import { webConfigFrom, webEnvironmentSchema } from './config.ts';
import { ImageIndex } from './image-index.ts';

const config = webConfigFrom(parseEnvironment(webEnvironmentSchema));
const { logger } = createObservability();

export const handler = createWebHandler({
  config,
  documentClient: dynamoDbDocumentClient(),
  s3: s3Client(),
  imageIndex: new ImageIndex(s3Client(), config.thumbnailsBucket),
  logger,
});

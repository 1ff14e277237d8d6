import { z } from 'zod';

/**
 * The web function's configuration, parsed once at cold start (see handler.ts).
 *
 * `AUTH_MODE` says whether writes are protected by API Gateway's JWT authorizer (`jwt`, on AWS)
 * or open (`none`, the local cloud, whose HTTP API has no authorizers). It only changes what the
 * dashboard offers and a defence-in-depth check; the authorizer itself is declared in serverless.yml.
 */
export const webEnvironmentSchema = z.object({
  INVENTORY_TABLE: z.string().min(1),
  STORE_SUMMARIES_TABLE: z.string().min(1),
  UPLOADS_BUCKET: z.string().min(1),
  THUMBNAILS_BUCKET: z.string().min(1),
  LOW_STOCK_THRESHOLD: z.coerce.number().int().min(0),
  AUTH_MODE: z.enum(['none', 'jwt']).default('none'),
  AWS_REGION: z.string().min(1).default('us-east-1'),
  // Endpoint overrides (the local cloud) decide which origin the browser uploads to.
  AWS_ENDPOINT_URL_S3: z.url().optional(),
  AWS_ENDPOINT_URL: z.url().optional(),
  STOCKROOM_LOCAL_CLOUD: z.string().optional(),
});

export type WebEnvironment = z.infer<typeof webEnvironmentSchema>;

export interface WebConfig {
  inventoryTable: string;
  storeSummariesTable: string;
  uploadsBucket: string;
  thumbnailsBucket: string;
  lowStockThreshold: number;
  authMode: 'none' | 'jwt';
  /** The origin the browser posts uploads to; it goes into the CSP's form-action. */
  uploadsOrigin: string;
  /** HSTS only makes sense over HTTPS, i.e. on AWS. */
  strictTransportSecurity: boolean;
}

export function webConfigFrom(env: WebEnvironment): WebConfig {
  const endpoint = env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL;
  return {
    inventoryTable: env.INVENTORY_TABLE,
    storeSummariesTable: env.STORE_SUMMARIES_TABLE,
    uploadsBucket: env.UPLOADS_BUCKET,
    thumbnailsBucket: env.THUMBNAILS_BUCKET,
    lowStockThreshold: env.LOW_STOCK_THRESHOLD,
    authMode: env.AUTH_MODE,
    // A presigned POST goes to the bucket's virtual-hosted endpoint on AWS
    // (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html),
    // or to the override endpoint (path style) locally.
    uploadsOrigin: endpoint
      ? new URL(endpoint).origin
      : `https://${env.UPLOADS_BUCKET}.s3.${env.AWS_REGION}.amazonaws.com`,
    strictTransportSecurity: env.STOCKROOM_LOCAL_CLOUD !== '1',
  };
}

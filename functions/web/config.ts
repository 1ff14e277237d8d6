import { z } from 'zod';
import { booleanFlag } from '#shared/env.ts';
import { isLoopbackUrl } from './http-event.ts';

/** A host name: labels of letters, digits and hyphens (a local stand-in may add `:port`). */
const DOMAIN_NAME = /^[A-Za-z0-9.-]+(:\d+)?$/;

/** serverless.yml writes `""` for an unset optional parameter: an empty variable counts as unset. */
const unlessEmpty = <S extends z.ZodType>(schema: S) =>
  z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

/**
 * The web function's configuration, parsed once at cold start (see handler.ts).
 *
 * `AUTH_MODE=oidc` (the default, and the value on AWS) puts every route but `/healthz` and the
 * assets behind a sign-in with the OpenID provider at `OIDC_ISSUER` (Cognito on AWS, the local
 * provider in the local cloud); `none` opens everything, for the local cloud only
 * (`STOCKROOM_AUTH=none`). See docs/web.md, "Sign-in".
 */
export const webEnvironmentSchema = z
  .object({
    INVENTORY_TABLE: z.string().min(1),
    STORE_SUMMARIES_TABLE: z.string().min(1),
    /** Kept from the inventory stream by stockHistory: the charts, the alerts feed, what needs attention. */
    STOCK_HISTORY_TABLE: z.string().min(1),
    STOCK_ATTENTION_TABLE: z.string().min(1),
    UPLOADS_BUCKET: z.string().min(1),
    THUMBNAILS_BUCKET: z.string().min(1),
    LOW_STOCK_THRESHOLD: z.coerce.number().int().min(0),
    AUTH_MODE: z.enum(['none', 'oidc']).default('oidc'),
    OIDC_ISSUER: unlessEmpty(z.url()),
    OIDC_CLIENT_ID: unlessEmpty(z.string()),
    /** Cognito's `/logout`, used when the provider's discovery has no `end_session_endpoint`. */
    OIDC_LOGOUT_URL: unlessEmpty(z.url()),
    /** The dashboard's origin (the local cloud); unset: the custom domain's or the distribution's. */
    PUBLIC_ORIGIN: unlessEmpty(z.url()),
    /** The custom domain (`domainName`) and the distribution's own name, on AWS (docs/edge.md). */
    CUSTOM_DOMAIN_NAME: unlessEmpty(z.string().regex(DOMAIN_NAME)),
    CDN_DOMAIN_NAME: unlessEmpty(z.string().regex(DOMAIN_NAME)),
    /**
     * The edge secret: CloudFront's origin header, and the key thumbnail links are signed
     * with; during a rotation a second version is accepted too. Resolved by CloudFormation.
     */
    EDGE_SECRET: z.string().min(32),
    EDGE_SECRET_ALSO_ACCEPTED: unlessEmpty(z.string().min(32)),
    /** `true`: refuse every request without CloudFront's origin header (`cdnOnly`). */
    EDGE_ORIGIN_CHECK: booleanFlag,
    AWS_REGION: z.string().min(1).default('us-east-1'),
    // Endpoint overrides (the local cloud) decide which origin the browser uploads to.
    AWS_ENDPOINT_URL_S3: z.url().optional(),
    AWS_ENDPOINT_URL: z.url().optional(),
    STOCKROOM_LOCAL_CLOUD: z.string().optional(),
  })
  .superRefine((env, context) => {
    if (env.AUTH_MODE !== 'oidc') return;
    const problem = (path: string, message: string) =>
      context.addIssue({ code: 'custom', path: [path], message });
    if (!env.OIDC_CLIENT_ID) problem('OIDC_CLIENT_ID', 'is required when AUTH_MODE=oidc');
    if (!env.OIDC_ISSUER) problem('OIDC_ISSUER', 'is required when AUTH_MODE=oidc');
    else if (!env.OIDC_ISSUER.startsWith('https://') && !isLoopbackUrl(env.OIDC_ISSUER)) {
      // Tokens and codes travel to the issuer: only the local provider may use plain HTTP.
      problem('OIDC_ISSUER', 'must be an https:// URL (http:// only on 127.0.0.1, the local provider)');
    }
  });

export type WebEnvironment = z.infer<typeof webEnvironmentSchema>;

/** Sign-in with an OpenID provider: authorization code + PKCE, a public client (no secret). */
export interface OidcConfig {
  mode: 'oidc';
  issuer: string;
  clientId: string;
  logoutUrl?: string;
}

export type AuthConfig = { mode: 'none' } | OidcConfig;

/** What the web function shares with the distribution in front of it (docs/edge.md). */
export interface EdgeConfig {
  /** Thumbnail links are signed with the first; a request may carry any of them. */
  secrets: [string, ...string[]];
  /** Refuse requests that lack CloudFront's origin header. */
  originCheck: boolean;
}

export interface WebConfig {
  inventoryTable: string;
  storeSummariesTable: string;
  stockHistoryTable: string;
  stockAttentionTable: string;
  uploadsBucket: string;
  thumbnailsBucket: string;
  lowStockThreshold: number;
  auth: AuthConfig;
  /** The dashboard's origin when configured; else each request's `https://<domainName>`. */
  publicOrigin?: string;
  edge: EdgeConfig;
  /** The origin the browser posts uploads to; it goes into the CSP's form-action. */
  uploadsOrigin: string;
  /** HSTS only makes sense over HTTPS, i.e. on AWS. */
  strictTransportSecurity: boolean;
}

function authConfigFrom(env: WebEnvironment): AuthConfig {
  if (env.AUTH_MODE === 'none') return { mode: 'none' };
  return {
    mode: 'oidc',
    issuer: env.OIDC_ISSUER ?? '',
    clientId: env.OIDC_CLIENT_ID ?? '',
    ...(env.OIDC_LOGOUT_URL ? { logoutUrl: env.OIDC_LOGOUT_URL } : {}),
  };
}

/**
 * Behind CloudFront the function sees API Gateway's host, never the one the browser used:
 * the dashboard's origin is the custom domain's, else the distribution's.
 */
function publicOriginOf(env: WebEnvironment): { publicOrigin?: string } {
  if (env.PUBLIC_ORIGIN) return { publicOrigin: new URL(env.PUBLIC_ORIGIN).origin };
  const domainName = env.CUSTOM_DOMAIN_NAME ?? env.CDN_DOMAIN_NAME;
  return domainName ? { publicOrigin: `https://${domainName}` } : {};
}

export function webConfigFrom(env: WebEnvironment): WebConfig {
  const endpoint = env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL;
  return {
    inventoryTable: env.INVENTORY_TABLE,
    storeSummariesTable: env.STORE_SUMMARIES_TABLE,
    stockHistoryTable: env.STOCK_HISTORY_TABLE,
    stockAttentionTable: env.STOCK_ATTENTION_TABLE,
    uploadsBucket: env.UPLOADS_BUCKET,
    thumbnailsBucket: env.THUMBNAILS_BUCKET,
    lowStockThreshold: env.LOW_STOCK_THRESHOLD,
    auth: authConfigFrom(env),
    ...publicOriginOf(env),
    edge: {
      // Unpinned, both name the current version: the same secret, kept once.
      secrets: [
        env.EDGE_SECRET,
        ...(env.EDGE_SECRET_ALSO_ACCEPTED && env.EDGE_SECRET_ALSO_ACCEPTED !== env.EDGE_SECRET
          ? [env.EDGE_SECRET_ALSO_ACCEPTED]
          : []),
      ],
      originCheck: env.EDGE_ORIGIN_CHECK,
    },
    // A presigned POST goes to the bucket's virtual-hosted endpoint on AWS
    // (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html),
    // or to the override endpoint (path style) locally.
    uploadsOrigin: endpoint
      ? new URL(endpoint).origin
      : `https://${env.UPLOADS_BUCKET}.s3.${env.AWS_REGION}.amazonaws.com`,
    strictTransportSecurity: env.STOCKROOM_LOCAL_CLOUD !== '1',
  };
}

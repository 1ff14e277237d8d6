// Types for the parts of oidc-provider 8.8 that the local identity provider uses (the package ships none).
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  interface Client {
    readonly clientId: string;
    grantTypeAllowed(grantType: string): boolean;
  }

  interface Grant {
    addOIDCScope(scope: string): void;
    addResourceScope(resource: string, scope: string): void;
    save(): Promise<string>;
  }

  interface Context {
    body: unknown;
    oidc: {
      client?: Client;
      session?: { accountId?: string };
      provider: Provider;
    };
  }

  interface Account {
    accountId: string;
    claims(use: 'id_token' | 'userinfo', scope: string): Promise<Record<string, unknown> & { sub: string }>;
  }

  interface InteractionDetails {
    uid: string;
    prompt: { name: string };
    params: Record<string, unknown>;
  }

  type Awaitable<T> = T | Promise<T>;

  interface Configuration {
    adapter: new (model: string) => object;
    clients: Record<string, unknown>[];
    jwks: { keys: Record<string, unknown>[] };
    cookies: { keys: string[] };
    claims: Record<string, string[]>;
    conformIdTokenClaims: boolean;
    findAccount(ctx: Context, sub: string): Awaitable<Account | undefined>;
    extraTokenClaims(
      ctx: Context,
      token: { accountId?: string },
    ): Awaitable<Record<string, unknown> | undefined>;
    loadExistingGrant(ctx: Context): Promise<Grant | undefined>;
    issueRefreshToken(ctx: Context, client: Client): Awaitable<boolean>;
    rotateRefreshToken: boolean;
    responseTypes: string[];
    interactions: { url(ctx: Context, interaction: { uid: string }): Awaitable<string> };
    features: {
      devInteractions: { enabled: boolean };
      revocation: { enabled: boolean };
      resourceIndicators: {
        enabled: boolean;
        defaultResource(ctx: Context): Awaitable<string>;
        useGrantedResource(): Awaitable<boolean>;
        getResourceServerInfo(ctx: Context, resource: string): Awaitable<Record<string, unknown>>;
      };
      rpInitiatedLogout: { logoutSource(ctx: Context, form: string): Awaitable<void> };
    };
    ttl: Record<string, number>;
  }

  export default class Provider {
    constructor(issuer: string, configuration: Configuration);
    readonly Grant: new (properties: {
      accountId?: string;
      clientId?: string;
    }) => Grant;
    callback(): (request: IncomingMessage, response: ServerResponse) => void;
    interactionDetails(request: IncomingMessage, response: ServerResponse): Promise<InteractionDetails>;
    interactionFinished(
      request: IncomingMessage,
      response: ServerResponse,
      result: { login: { accountId: string } },
      options: { mergeWithLastSubmission: boolean },
    ): Promise<void>;
    on(event: 'server_error', listener: (ctx: Context, error: Error) => void): this;
  }
}

declare module 'oidc-provider/lib/adapters/memory_adapter.js' {
  export default class MemoryAdapter {
    constructor(model: string);
  }
}

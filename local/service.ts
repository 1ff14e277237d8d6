import type { IncomingMessage } from 'node:http';
import type { Server } from 'node:net';

/**
 * What each part of the local cloud is to `startLocalCloud` (cloud.ts): started with the
 * cloud, owning some ports, able to say whether it is well, stopped with it. Each has a
 * start function: startS3, startDynamoDb, startAwsEndpoint, startHttpApi, startTriggers,
 * startIdentityProvider.
 */
export interface LocalService {
  readonly name: string;
  /** The ports it listens on, by their name in `LocalCloudOptions.ports`. */
  readonly ports: Readonly<Partial<Record<PortName, number>>>;
  /** 'ok', or what is wrong, in a sentence. */
  health(): Promise<'ok' | string>;
  stop(): Promise<void>;
}

/** The environment variable `npm start` reads each port from (local/main.ts), and its default. */
export const PORT_VARIABLES = {
  s3: ['STOCKROOM_S3_PORT', 4569],
  dynamodb: ['STOCKROOM_DYNAMODB_PORT', 8000],
  aws: ['STOCKROOM_AWS_PORT', 4575],
  http: ['STOCKROOM_HTTP_PORT', 3000],
  oidc: ['STOCKROOM_OIDC_PORT', 4590],
  smtp: ['STOCKROOM_SMTP_PORT', 2525],
} as const;
export type PortName = keyof typeof PORT_VARIABLES;

/** A port another program holds, said in one sentence that names the variable to change. */
export class PortTakenError extends Error {
  override readonly name = 'PortTakenError';

  constructor(what: string, port: number, portName: PortName, options?: { cause?: unknown }) {
    super(
      `${what} cannot listen on 127.0.0.1:${port}: the port is taken (is another \`npm start\` running?). Free it or set ${PORT_VARIABLES[portName][0]}.`,
      options,
    );
  }
}

/** Listens on 127.0.0.1 (port 0 picks a free one) and resolves with the port. */
export async function listen(
  server: Server,
  port: number,
  what: string,
  portName: PortName,
): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    const fail = (error: NodeJS.ErrnoException): void =>
      reject(
        error.code === 'EADDRINUSE' ? new PortTakenError(what, port, portName, { cause: error }) : error,
      );
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', fail);
      resolve();
    });
  });
  const address = server.address();
  return typeof address === 'object' && address ? address.port : port;
}

/** Stops a server now: idle keep-alive connections would otherwise hold it open. */
export function closeServer(server: Server & { closeAllConnections?: () => void }): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections?.();
  });
}

/** The whole body, read to its end even when too large (so the client gets an answer, not a reset); undefined when over `maxBytes`. */
export async function readBody(request: IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= maxBytes) chunks.push(chunk);
  }
  return size > maxBytes ? undefined : Buffer.concat(chunks);
}

/** An HTTP server as a service: listening on 127.0.0.1, well while it listens, stopped at once. */
export async function serverService(server: Server, what: string, name: PortName, port: number) {
  const listened = await listen(server, port, what, name);
  return {
    name,
    url: `http://127.0.0.1:${listened}`,
    port: listened,
    ports: { [name]: listened },
    health: async () => (server.listening ? 'ok' : `${what} is not listening.`),
    stop: () => closeServer(server),
  };
}

/**
 * Starts services side by side. When one fails, those that did start are still added to
 * `started`, so that the caller stops them too: a JVM must not outlive a failed start.
 */
export async function startTogether<T extends LocalService[]>(
  started: LocalService[],
  starts: { [K in keyof T]: Promise<T[K]> },
): Promise<T> {
  const results = await Promise.allSettled(starts as Promise<LocalService>[]);
  started.push(...results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : [])));
  const failure = results.find((result) => result.status === 'rejected');
  if (failure) throw failure.reason;
  return started.slice(-results.length) as T;
}

/** Stops services, the last started first; one that fails to stop does not keep the others up. */
export async function stopAll(services: LocalService[], log: (line: string) => void): Promise<void> {
  for (const service of [...services].reverse()) {
    await service.stop().catch((error: unknown) => log(`stop ${service.name}: ${(error as Error).message}`));
  }
}

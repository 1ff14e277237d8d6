import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The two AWS calls that `serverless package` makes even though it needs no account:
 * - STS GetCallerIdentity, to resolve `${aws:accountId}` in serverless.yml;
 * - CloudFormation DescribeStacks, which osls calls whenever `layers:` are declared.
 * This tiny endpoint answers both as a fresh account would (account 000000000000, no
 * stack yet), so packaging works with no credentials and no network.
 */
export const OFFLINE_ACCOUNT_ID = '000000000000';

export interface OfflineControlPlane {
  url: string;
  /** Environment for a child `serverless` process. */
  env: Record<string, string>;
  close(): Promise<void>;
}

function answer(action: string | null): { status: number; body: string } {
  if (action === 'GetCallerIdentity') {
    return {
      status: 200,
      body: `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::${OFFLINE_ACCOUNT_ID}:user/offline</Arn><UserId>OFFLINE</UserId><Account>${OFFLINE_ACCOUNT_ID}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>offline</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
    };
  }
  const message =
    action === 'DescribeStacks' || action === 'DescribeStackResource' || action === 'ListStackResources'
      ? 'Stack with id offline does not exist'
      : `${action ?? 'This action'} is not available offline`;
  return {
    status: 400,
    body: `<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type><Code>ValidationError</Code><Message>${message}</Message></Error><RequestId>offline</RequestId></ErrorResponse>`,
  };
}

export async function startOfflineControlPlane(): Promise<OfflineControlPlane> {
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const action = new URLSearchParams(Buffer.concat(chunks).toString('utf8')).get('Action');
      const { status, body } = answer(action);
      response.writeHead(status, { 'content-type': 'text/xml' });
      response.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    env: {
      AWS_ACCESS_KEY_ID: 'offline',
      AWS_SECRET_ACCESS_KEY: 'offline',
      AWS_SESSION_TOKEN: '',
      AWS_PROFILE: '',
      AWS_ENDPOINT_URL_CLOUDFORMATION: url,
      AWS_ENDPOINT_URL_STS: url,
      SLS_TELEMETRY_DISABLED: '1',
      SLS_NOTIFICATIONS_MODE: 'off',
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll } from 'vitest';
import { makeHandler } from '../helpers.ts';
import { type FakeProvider, startFakeProvider } from './fake-provider.ts';

/**
 * One fake provider for a test file (started before its tests, closed after), and web
 * handlers that sign in against it, over an empty store summaries table.
 */
export function useFakeProvider(): {
  provider: () => FakeProvider;
  signedInHandler: () => ReturnType<typeof makeHandler>;
} {
  let provider: FakeProvider | undefined;
  beforeAll(async () => {
    provider = await startFakeProvider();
  });
  afterAll(async () => {
    await provider?.close();
  });
  const current = (): FakeProvider => {
    if (!provider) throw new Error('the fake provider is not started yet');
    return provider;
  };
  return {
    provider: current,
    signedInHandler: () => {
      const made = makeHandler({ config: { auth: current().authConfig } });
      mockClient(made.clients.documentClient).on(ScanCommand).resolves({ Items: [] });
      return made;
    },
  };
}

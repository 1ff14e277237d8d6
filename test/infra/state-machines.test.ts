import { createRequire } from 'node:module';
import { StateMachine } from 'aws-local-stepfunctions';
import { beforeAll, describe, expect, it } from 'vitest';
import { StackResources } from '../../local/resources.ts';
import { type Json, loadServiceConfig } from '../../local/service-config.ts';

/**
 * The state machines as serverless.yml declares them, resolved as the local cloud resolves
 * them (no network: `serverless print` runs offline), then validated against the Amazon
 * States Language — by asl-validator (what serverless-step-functions' `validate: true`
 * uses) and by aws-local-stepfunctions, which runs them locally.
 */

// asl-validator is CommonJS without typings; it comes with aws-local-stepfunctions.
const aslValidator = createRequire(import.meta.url)('asl-validator') as (
  definition: unknown,
  options?: unknown,
) => { isValid: boolean; errors: unknown[] };

type State = Record<string, Json> & { Type: string };
let definitions: Record<string, { States: Record<string, State>; StartAt: string }>;

const LAMBDA_TRANSIENT_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
];

function allStates(states: Record<string, State>): [string, State][] {
  return Object.entries(states).flatMap(([name, state]) => {
    const nested = (state.ItemProcessor as { States?: Record<string, State> } | undefined)?.States;
    return [[name, state] as [string, State], ...(nested ? allStates(nested) : [])];
  });
}

beforeAll(async () => {
  const config = await loadServiceConfig('local', 'us-east-1');
  const stack = new StackResources(config, {
    region: 'us-east-1',
    accountId: '000000000000',
    stackName: 'stockroom-local',
  });
  definitions = Object.fromEntries(
    Object.entries(config.stepFunctions?.stateMachines ?? {}).map(([key, machine]) => [
      key,
      stack.resolve(
        JSON.parse(JSON.stringify(machine.definition)) as Json,
      ) as unknown as (typeof definitions)[string],
    ]),
  );
}, 60_000);

describe('state machine definitions', () => {
  it('declares the large import and the thumbnail rebuild', () => {
    // Assess
    expect(Object.keys(definitions).sort()).toEqual(['largeImport', 'rebuildThumbnails']);
  });

  it.each(['largeImport', 'rebuildThumbnails'])('%s is valid Amazon States Language', (key) => {
    // Prepare
    const definition = definitions[key];

    // Act
    const result = aslValidator(structuredClone(definition));
    const construct = () => new StateMachine(definition as never, { validationOptions: { checkArn: false } });

    // Assess
    expect(result.errors).toEqual([]);
    expect(result.isValid).toBe(true);
    expect(construct).not.toThrow();
  });

  it.each(['largeImport', 'rebuildThumbnails'])(
    '%s retries Lambda service errors and throttling on every Task, with backoff',
    (key) => {
      // Prepare
      const tasks = allStates(definitions[key]?.States ?? {}).filter(([, state]) => state.Type === 'Task');

      // Assess
      expect(tasks.length).toBeGreaterThan(2);
      for (const [, state] of tasks) {
        const retriers = state.Retry as { ErrorEquals: string[]; BackoffRate: number }[];
        const lambda = retriers.find((retrier) => retrier.ErrorEquals.includes('Lambda.ServiceException'));
        expect(lambda?.ErrorEquals).toEqual(LAMBDA_TRANSIENT_ERRORS);
        expect(lambda?.BackoffRate).toBeGreaterThan(1);
      }
    },
  );

  it('imports ranges in a bounded Map that catches a failed range and records it', () => {
    // Prepare
    const states = definitions.largeImport?.States ?? {};
    const map = states.ImportRanges as State & {
      MaxConcurrency: number;
      ItemProcessor: { States: Record<string, State> };
    };

    // Assess
    expect(map.Type).toBe('Map');
    expect(map.MaxConcurrency).toBeGreaterThan(0);
    const importRange = map.ItemProcessor.States.ImportRange as State & {
      Catch: { ErrorEquals: string[]; Next: string }[];
      Retry: { ErrorEquals: string[] }[];
    };
    expect(importRange.Catch[0]).toMatchObject({ ErrorEquals: ['States.ALL'], Next: 'RangeFailed' });
    expect(importRange.Retry.some((retrier) => retrier.ErrorEquals.includes('InventoryWriteError'))).toBe(
      true,
    );
    expect(states.ImportFailed).toMatchObject({ Type: 'Fail', CausePath: '$.summary.cause' });
  });
});

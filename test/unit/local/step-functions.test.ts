import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ExecutionDescription } from '../../../local/aws-endpoint/sfn.ts';
import type { LocalFunction } from '../../../local/lambda-runtime.ts';
import { StackResources } from '../../../local/resources.ts';
import type { ServiceConfig } from '../../../local/service-config.ts';
import { createStateMachineRunner, type LocalStateMachineRunner } from '../../../local/step-functions.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'step-functions-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const config: ServiceConfig = {
  service: 'shop',
  provider: { stage: 'local', region: 'us-east-1' },
  functions: { double: { name: 'shop-local-double', handler: 'functions/double/handler.handler' } },
  stepFunctions: {
    stateMachines: {
      doubling: {
        name: 'shop-local-doubling',
        definition: {
          StartAt: 'Double',
          States: {
            Double: { Type: 'Task', Resource: { 'Fn::GetAtt': ['double', 'Arn'] }, Next: 'Done' },
            Done: { Type: 'Succeed' },
          },
        },
      },
      refusing: {
        name: 'shop-local-refusing',
        definition: { StartAt: 'No', States: { No: { Type: 'Fail', Error: 'Refused', Cause: 'not today' } } },
      },
    },
  },
};

/** The `double` function: what a Task state invokes, recorded. */
const invoked: unknown[] = [];
const double = {
  invoke: async (event: { n: number }, trigger: string) => {
    invoked.push({ event, trigger });
    return { n: event.n * 2 };
  },
} as unknown as LocalFunction;

const stack = new StackResources(config, {
  region: 'us-east-1',
  accountId: '000000000000',
  stackName: 'shop-local',
});
const runner: LocalStateMachineRunner = createStateMachineRunner({
  stack,
  functionNamed: (key) => (key === 'double' ? double : undefined),
  dataDir,
  log: () => undefined,
  verbose: false,
});
const arnOf = (key: string): string => runner.list().find((machine) => machine.key === key)?.arn ?? '';

async function finished(executionArn: string): Promise<ExecutionDescription> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const execution = runner.describe(executionArn);
    if (execution && execution.status !== 'RUNNING') return execution;
    if (Date.now() > deadline) throw new Error(`${executionArn} still running`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('the local Step Functions runner', () => {
  it('lists the state machines of serverless.yml by key, with their ARNs', () => {
    // Act
    const machines = runner.list();

    // Assess
    expect(machines).toEqual([
      {
        key: 'doubling',
        name: 'shop-local-doubling',
        arn: 'arn:aws:states:us-east-1:000000000000:stateMachine:shop-local-doubling',
      },
      {
        key: 'refusing',
        name: 'shop-local-refusing',
        arn: 'arn:aws:states:us-east-1:000000000000:stateMachine:shop-local-refusing',
      },
    ]);
  });

  it('runs a Task state with the local function and keeps the execution in executions/', async () => {
    // Act
    const { executionArn } = runner.start(arnOf('doubling'), { n: 21 }, 'answer');
    const execution = await finished(executionArn);

    // Assess
    expect(executionArn).toBe('arn:aws:states:us-east-1:000000000000:execution:shop-local-doubling:answer');
    expect(execution).toMatchObject({ status: 'SUCCEEDED', input: '{"n":21}', output: '{"n":42}' });
    expect(execution.stopDate).toBeInstanceOf(Date);
    expect(invoked).toEqual([{ event: { n: 21 }, trigger: 'stepFunctions' }]);
    expect(runner.busy).toBe(false);
    const kept = JSON.parse(readFileSync(join(dataDir, 'executions', 'answer.json'), 'utf8'));
    expect(kept).toMatchObject({ executionArn, status: 'SUCCEEDED', output: '{"n":42}' });
    expect(kept.events.length).toBeGreaterThan(0);
  });

  it("reports a Fail state's error and cause, as Step Functions does", async () => {
    // Act
    const { executionArn } = runner.start(arnOf('refusing'), {});
    const execution = await finished(executionArn);

    // Assess
    expect(execution).toMatchObject({ status: 'FAILED', error: 'Refused', cause: 'not today' });
  });

  it('refuses a name already used and an unknown state machine with Step Functions errors', () => {
    // Prepare
    runner.start(arnOf('doubling'), { n: 1 }, 'twice');

    // Act
    const again = () => runner.start(arnOf('doubling'), { n: 1 }, 'twice');
    const unknown = () => runner.start(`${arnOf('doubling')}-nope`, {});

    // Assess
    expect(again).toThrow(expect.objectContaining({ code: 'ExecutionAlreadyExists' }));
    expect(unknown).toThrow(expect.objectContaining({ code: 'StateMachineDoesNotExist' }));
  });
});

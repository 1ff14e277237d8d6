/**
 * `npm run rebuild-thumbnails -- [prefix] [--sizes 200,400]`: starts the thumbnail rebuild
 * state machine in the running local cloud (`npm start`), waits for it and prints its
 * summary. The prefix defaults to `images/`; sizes default to THUMBNAIL_WIDTHS.
 * On AWS: `aws stepfunctions start-execution --state-machine-arn <arn> --input '{"prefix":"images/"}'`.
 */
import { parseArgs } from 'node:util';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { readRunningEndpoints } from '../local/endpoints-file.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { sizes: { type: 'string' } },
});
const prefix = positionals[0] ?? 'images/';
const sizes = values.sizes?.split(',').map((size) => Number(size.trim()));
if (sizes?.some((size) => !Number.isSafeInteger(size) || size < 1)) {
  console.error('--sizes takes whole numbers separated by commas, e.g. --sizes 200,400');
  process.exit(2);
}

const endpoints = await readRunningEndpoints();
const stateMachineArn = endpoints.stateMachines.rebuildThumbnails;
if (!stateMachineArn) {
  console.error('The running local cloud has no rebuildThumbnails state machine.');
  process.exit(1);
}
// Step Functions shares the local AWS endpoint (`sns` in endpoints.json) with SNS.
const sfn = new SFNClient({
  region: endpoints.region,
  endpoint: endpoints.endpoints.sns,
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});
const input = { prefix, ...(sizes ? { sizes } : {}) };
const { executionArn } = await sfn.send(
  new StartExecutionCommand({ stateMachineArn, input: JSON.stringify(input) }),
);
console.log(`Started ${executionArn} with ${JSON.stringify(input)}`);
for (;;) {
  const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  if (execution.status !== 'RUNNING') {
    console.log(
      `${execution.status}${execution.error ? `: ${execution.error} ${execution.cause ?? ''}` : ''}`,
    );
    if (execution.output) console.log(JSON.stringify(JSON.parse(execution.output), null, 2));
    process.exit(execution.status === 'SUCCEEDED' ? 0 : 1);
  }
  await new Promise((resolve) => setTimeout(resolve, 500));
}

/**
 * Handlers for the tests of the Lambda API's log tail (test/integration/lambda-log-tail.test.ts):
 * they write to stdout and stderr as a function's logger and console do.
 */
interface NoisyEvent {
  marker: string;
  lines: number;
  /** Between lines, so that concurrent invocations interleave their output. */
  delayMs?: number;
}

export async function noisy({ marker, lines, delayMs = 0 }: NoisyEvent): Promise<{ marker: string }> {
  for (let line = 0; line < lines; line += 1) {
    process.stdout.write(`${JSON.stringify({ level: 'INFO', message: `${marker} line ${line}` })}\n`);
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
  }
  process.stderr.write(`${marker} done\n`);
  return { marker };
}

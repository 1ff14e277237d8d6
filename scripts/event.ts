/**
 * `npm run event -- <kind> [options]`: a sample event shaped exactly as the local cloud
 * delivers it to a function (the local cloud's own builders make it: scripts/sample-events.ts),
 * on stdout or into `--out <file>`. `npm run event -- samples` rewrites the committed ones
 * under events/. `npm run event -- --help` lists the kinds and their options.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { projectRoot } from '../local/service-config.ts';
import { buildEvent, localStack, SAMPLES, sampleFromArgs, UsageError } from './sample-events.ts';

const USAGE = `Usage: npm run event -- <kind> [options] [--out file]
       npm run event -- samples          (rewrites the samples under events/)

Kinds and their options (all optional):
  s3-put         --key images/photo.jpg  --bucket uploads|thumbnails|<name>  --size <bytes> | --file <path>
  s3-delete      --key images/photo.jpg  --bucket uploads|thumbnails|<name>
  stream-insert  --store Berlin --item apple --count 12
  stream-modify  --store Berlin --item apple --old-count 3 --count 0
  stream-remove  --store Berlin --item apple --old-count 3
  http-get       [path, default /]  --header 'name: value' (repeatable)
  http-post      [path]  --body <text>  --header 'content-type: application/json'

Give S3 keys as they are (images/red shoe.jpg): the event carries them URL-encoded, as S3 sends them.
To pipe the event, keep npm quiet: npm run -s event -- s3-put | npm run -s invoke -- thumbnails -`;

const quoted = (arg: string): string => (/[\s,]/.test(arg) ? `'${arg}'` : arg);

async function main(args: string[]): Promise<void> {
  if (args.length === 0 || args[0] === '--help' || args[0] === '-h') {
    console.log(USAGE);
    return;
  }
  const stack = await localStack();
  if (args[0] === 'samples') {
    for (const sample of SAMPLES) {
      const { kind, options } = sampleFromArgs(sample.args);
      await writeFile(
        join(projectRoot, sample.file),
        `${JSON.stringify(buildEvent(kind, options, stack), null, 2)}\n`,
      );
      console.log(`${sample.file}  ← npm run event -- ${sample.args.map(quoted).join(' ')}`);
    }
    return;
  }
  const { kind, options, out } = sampleFromArgs(args);
  const text = `${JSON.stringify(buildEvent(kind, options, stack), null, 2)}\n`;
  if (out === undefined) {
    process.stdout.write(text);
    return;
  }
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, text);
  console.error(`Wrote ${out}`);
}

await main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError)
    console.error(`${error.message} (npm run event -- --help lists the kinds and their options)`);
  else console.error((error as Error).message);
  process.exit(error instanceof UsageError ? 2 : 1);
});

/**
 * `npm run upload -- <file> [key]`: puts a file into the running local cloud's uploads
 * bucket (endpoints from .local/endpoints.json). Without a key, `.csv`/`.csv.gz` files go
 * under `inventory/` and anything else under `images/`.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { readRunningEndpoints } from '../local/endpoints-file.ts';

const [file, explicitKey] = process.argv.slice(2);
if (!file) {
  console.error('Usage: npm run upload -- <file> [key]');
  process.exit(2);
}
const endpoints = await readRunningEndpoints();
const name = basename(file);
const key = explicitKey ?? (/\.csv(\.gz)?$/i.test(name) ? `inventory/${name}` : `images/${name}`);
const size = (await stat(file)).size;
const s3 = new S3Client({
  region: endpoints.region,
  endpoint: endpoints.endpoints.s3,
  forcePathStyle: true,
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});
try {
  await new Upload({
    client: s3,
    params: { Bucket: endpoints.buckets.uploads, Key: key, Body: createReadStream(file) },
  }).done();
} catch (error) {
  console.error(`Upload failed: ${(error as Error).message} (is \`npm start\` running?)`);
  process.exit(1);
}
console.log(`Uploaded ${file} (${size} bytes) to s3://${endpoints.buckets.uploads}/${key}`);

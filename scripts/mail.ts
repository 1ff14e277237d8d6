/**
 * `npm run mail -- <file>… [--from a@b] [--to inventory@…] [--subject …]`: mails the files,
 * attached, to the running local cloud's SMTP server (docs/mail.md).
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { readRunningEndpoints } from '../local/endpoints-file.ts';
import { buildMessage, sendMail } from './mail-message.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    from: { type: 'string', default: 'manager@stockroom.local' },
    to: { type: 'string', default: 'inventory@stockroom.local' },
    subject: { type: 'string', default: 'Stock counts' },
  },
});
if (positionals.length === 0) {
  console.error('Usage: npm run mail -- <file>… [--from a@b] [--to inventory@stockroom.local] [--subject …]');
  process.exit(2);
}
const endpoints = await readRunningEndpoints();
const smtp = endpoints.endpoints.smtp;
if (!smtp) {
  console.error('The running local cloud has no SMTP server (no mailDomain for the local stage).');
  process.exit(1);
}
const files = await Promise.all(
  positionals.map(async (path) => ({ name: basename(path), content: await readFile(path) })),
);
const raw = buildMessage({ from: values.from, to: values.to, subject: values.subject, files });
const reply = await sendMail({ port: Number(new URL(smtp).port), from: values.from, to: values.to, raw });
console.log(`sent ${files.length} file(s) from ${values.from} to ${values.to}: ${reply}`);

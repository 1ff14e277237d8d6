import { mkdir, writeFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { readBody } from '../service.ts';

/** SESv2 SendEmail (REST-JSON): https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_SendEmail.html */
export const SES_SEND_PATH = /^\/v2\/email\/outbound-emails\/?$/;

interface SimpleEmail {
  FromEmailAddress?: string;
  Destination?: { ToAddresses?: string[] };
  Content?: { Simple?: { Subject?: { Data?: string }; Body?: { Text?: { Data?: string } } } };
}

/**
 * Nothing leaves the machine: each message is written as `<outbox>/<messageId>.eml` and
 * announced in one line. Only the Simple content the functions send is rendered.
 */
export async function answerSendEmail(request: IncomingMessage, outbox: string, requestId: string) {
  const input = JSON.parse((await readBody(request, 1024 * 1024))?.toString('utf8') || '{}') as SimpleEmail;
  const to = input.Destination?.ToAddresses ?? [];
  if (!input.FromEmailAddress || to.length === 0 || !input.Content?.Simple) {
    const message = 'FromEmailAddress, Destination.ToAddresses and Content.Simple are required.';
    return {
      requestId,
      status: 400,
      contentType: 'application/json',
      text: JSON.stringify({ message }),
      headers: { 'x-amzn-errortype': 'BadRequestException' },
    };
  }
  const { Subject, Body } = input.Content.Simple;
  const eml = [
    `From: ${input.FromEmailAddress}`,
    `To: ${to.join(', ')}`,
    `Subject: ${Subject?.Data ?? ''}`,
    `Message-ID: <${requestId}@local>`,
    'Content-Type: text/plain; charset=utf-8',
    '',
    Body?.Text?.Data ?? '',
  ].join('\r\n');
  await mkdir(outbox, { recursive: true });
  const file = join(outbox, `${requestId}.eml`);
  await writeFile(file, eml);
  console.log(`[local] mail to ${to.join(', ')}: "${Subject?.Data ?? ''}" → ${file}`);
  return {
    requestId,
    status: 200,
    contentType: 'application/json',
    text: JSON.stringify({ MessageId: requestId }),
  };
}

import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';

/**
 * A multipart message with files attached (base64, RFC 2231 names for non-ASCII), and a
 * minimal SMTP client (no TLS, no AUTH) for the local SMTP server: what `npm run mail`
 * sends and the tests send through it.
 */
export interface MailFile {
  name: string;
  content: Uint8Array;
  contentType?: string;
}

export function buildMessage(options: {
  from: string;
  to: string;
  subject: string;
  text?: string;
  files: MailFile[];
}): string {
  const boundary = `stockroom-${randomBytes(8).toString('hex')}`;
  const encodeWord = (text: string) =>
    /^[\x20-\x7e]*$/.test(text) ? text : `=?UTF-8?B?${Buffer.from(text).toString('base64')}?=`;
  const lines = [
    `From: ${options.from}`,
    `To: ${options.to}`,
    `Subject: ${encodeWord(options.subject)}`,
    `Date: ${new Date().toUTCString()}`,
    `Message-ID: <${randomBytes(8).toString('hex')}@stockroom.local>`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/mixed; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=utf-8',
    '',
    options.text ?? 'Stock counts attached.',
  ];
  for (const file of options.files) {
    const name = /^[\x20-\x7e]*$/.test(file.name)
      ? `filename="${file.name}"`
      : `filename*=UTF-8''${encodeURIComponent(file.name)}`;
    const base64 = Buffer.from(file.content).toString('base64').replace(/.{76}/g, '$&\r\n');
    lines.push(`--${boundary}`, `Content-Type: ${file.contentType ?? 'text/csv'}`);
    lines.push('Content-Transfer-Encoding: base64', `Content-Disposition: attachment; ${name}`, '', base64);
  }
  lines.push(`--${boundary}--`, '');
  return lines.join('\r\n');
}

/** Sends one message; resolves with the server's last reply, rejects on any 4xx/5xx. */
export function sendMail(options: { port: number; from: string; to: string; raw: string }): Promise<string> {
  const dotStuffed = options.raw.replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
  const steps = [
    'EHLO localhost',
    `MAIL FROM:<${options.from}>`,
    `RCPT TO:<${options.to}>`,
    'DATA',
    `${dotStuffed}\r\n.`,
    'QUIT',
  ];
  return new Promise((resolve, reject) => {
    const socket = connect(options.port, '127.0.0.1');
    let buffer = '';
    let last = '';
    socket.setEncoding('utf8');
    socket.on('error', reject);
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      // A reply is complete when a line has a space after its code (`250 ok`, not `250-…`).
      const complete = /(^|\r\n)(\d{3}) [^\r\n]*\r\n$/.exec(buffer);
      if (!complete) return;
      const code = Number(complete[2]);
      buffer = '';
      if (code >= 400) {
        socket.destroy();
        reject(new Error(`SMTP: ${complete[0].trim()}`));
        return;
      }
      const step = steps.shift();
      if (step === undefined) {
        socket.end();
        resolve(last);
        return;
      }
      if (code === 250 && step === 'QUIT') last = complete[0].trim();
      socket.write(`${step}\r\n`);
    });
  });
}

import { randomBytes } from 'node:crypto';
import PostalMime from 'postal-mime';
import { SMTPServer } from 'smtp-server';
import { type LocalService, serverService } from './service.ts';

/** SES receives messages of up to 40 MB: https://docs.aws.amazon.com/ses/latest/dg/quotas.html */
const MAX_MESSAGE_BYTES = 40 * 1024 * 1024;

export interface SmtpOptions {
  port: number;
  /** The one address taken (`mailRecipient`); any other RCPT TO is refused, as SES would. */
  recipient: string;
  region: string;
  functionArn: string;
  /** Stores the raw message under `mail/<messageId>` (the rule's S3 action). */
  store: (messageId: string, raw: Buffer) => Promise<void>;
  /** The rule's Lambda action: an Event invocation, through Lambda's async queue. */
  invoke: (event: unknown) => void;
  log: (line: string) => void;
}

/**
 * The local stand-in for SES receiving: an SMTP server on 127.0.0.1, no TLS or AUTH (it only
 * listens on the loopback). SPF, DKIM and DMARC need DNS and a sending host that the local
 * cloud does not have, so its receipt says PASS for them, and for the spam and virus scans:
 * whoever can reach 127.0.0.1 is the developer. The function's allow-list still applies.
 */
export async function startSmtp(options: SmtpOptions): Promise<LocalService> {
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    size: MAX_MESSAGE_BYTES,
    logger: false,
    onRcptTo(address, _session, callback) {
      if (address.address.toLowerCase() === options.recipient.toLowerCase()) return callback();
      callback(Object.assign(new Error(`550 no mailbox ${address.address} here`), { responseCode: 550 }));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        receive(options, raw, session.envelope.mailFrom ? session.envelope.mailFrom.address : '').then(
          (messageId) => callback(null, `Ok: queued as ${messageId}`),
          (error: Error) => callback(error),
        );
      });
    },
  });
  return serverService(server.server, 'The SMTP server', 'smtp', options.port);
}

async function receive(options: SmtpOptions, raw: Buffer, source: string): Promise<string> {
  const messageId = randomBytes(16).toString('hex');
  await options.store(messageId, raw);
  const parsed = await PostalMime.parse(raw);
  const timestamp = new Date().toISOString();
  const pass = { status: 'PASS' };
  const addresses = (list: { address?: string }[] | undefined) => (list ?? []).map((a) => a.address ?? '');
  const mail = {
    timestamp,
    source,
    messageId,
    destination: [options.recipient],
    headersTruncated: false,
    headers: parsed.headers.map((header) => ({ name: header.originalKey, value: header.value })),
    commonHeaders: {
      returnPath: source,
      from: parsed.from && 'address' in parsed.from ? [parsed.from.address ?? ''] : [],
      to: addresses(parsed.to),
      date: parsed.date ?? timestamp,
      messageId: parsed.messageId ?? '',
      subject: parsed.subject ?? '',
    },
  };
  const receipt = {
    timestamp,
    processingTimeMillis: 0,
    recipients: [options.recipient],
    spamVerdict: pass,
    virusVerdict: pass,
    spfVerdict: pass,
    dkimVerdict: pass,
    dmarcVerdict: pass,
    dmarcPolicy: 'none',
    action: { type: 'Lambda', functionArn: options.functionArn, invocationType: 'Event' },
  };
  options.invoke({ Records: [{ eventSource: 'aws:ses', eventVersion: '1.0', ses: { mail, receipt } }] });
  options.log(`mail ${messageId} from ${source} stored under mail/${messageId}`);
  return messageId;
}

import PostalMime from 'postal-mime';
import { isInventoryFileKey } from '#shared/inventory/files.ts';

/** One inventory file found in a message, decoded (base64 and quoted-printable alike). */
export interface MailedFile {
  /** The file name as the sender gave it (RFC 2231 / encoded words decoded). */
  fileName: string;
  content: Uint8Array;
}

export interface MailedInventory {
  /** The From header's address, lowercased: what DMARC authenticates and the allow-list names. */
  from: string | undefined;
  subject: string;
  files: MailedFile[];
  /** Files over the size limit, by name and size: the message is refused for them. */
  oversized: { fileName: string; bytes: number }[];
}

/**
 * Reads the inventory files out of a raw message. A part counts when its file name ends in
 * `.csv` or `.csv.gz`, in any case (shared/inventory/files.ts); a CSV pasted into the body
 * is not a file and is ignored, so the sender is told to attach it. Nesting and header
 * sizes are bounded by the parser's own limits; the whole message is bounded by SES (40 MB:
 * https://docs.aws.amazon.com/ses/latest/dg/quotas.html).
 */
export async function parseMailedInventory(
  raw: Uint8Array | string,
  maxFileBytes: number,
): Promise<MailedInventory> {
  const email = await PostalMime.parse(raw, { attachmentEncoding: 'arraybuffer' });
  const files: MailedFile[] = [];
  const oversized: MailedInventory['oversized'] = [];
  for (const attachment of email.attachments) {
    const fileName = attachment.filename?.trim() ?? '';
    if (!isInventoryFileKey(fileName)) continue;
    const content = asBytes(attachment.content);
    if (content.byteLength > maxFileBytes) oversized.push({ fileName, bytes: content.byteLength });
    else files.push({ fileName, content });
  }
  const from = email.from && 'address' in email.from ? email.from.address?.toLowerCase() : undefined;
  return { from, subject: email.subject ?? '', files, oversized };
}

function asBytes(content: ArrayBuffer | Uint8Array | string): Uint8Array {
  if (typeof content === 'string') return new TextEncoder().encode(content);
  return content instanceof Uint8Array ? content : new Uint8Array(content);
}

/**
 * A file name safe as the last segment of an S3 key: letters, digits, `.`, `-` and `_`
 * (other characters, accented letters included, become `_`), at most 120 bytes, keeping the
 * `.csv` / `.csv.gz` ending the import goes by.
 */
export function safeFileName(fileName: string): string {
  const base = fileName.split(/[\\/]/).pop() ?? '';
  const ending = /\.csv\.gz$/i.test(base) ? base.slice(-7) : base.slice(-4);
  const stem = base
    .slice(0, base.length - ending.length)
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[._]+/, '')
    .slice(0, 120 - ending.length);
  return `${stem || 'file'}${ending.toLowerCase()}`;
}

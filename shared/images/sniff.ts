/**
 * Recognises a file from its first bytes (magic numbers), never from its name: a PNG
 * named `.jpg` is a PNG, and a script named `.png` is not an image. Only what this module
 * recognises as an allowed raster format is ever handed to libvips, so no other of its
 * loaders (or a markup parser) sees untrusted bytes.
 */

export type SniffedFormat =
  | { kind: 'raster'; format: 'jpeg' | 'png' | 'gif' | 'webp' | 'tiff' | 'avif' | 'heic' }
  | { kind: 'svg' }
  /** Formats that can carry scripts or external references: never processed by default. */
  | { kind: 'blocked'; format: 'pdf' | 'postscript' }
  /** Images we recognise but do not process. */
  | { kind: 'unsupported'; format: 'bmp' | 'psd' | 'jpeg-xl' | 'jpeg-2000' | 'ico' | 'exr' }
  | { kind: 'empty' }
  | { kind: 'unknown' };

/** Enough for every signature below, and for an SVG's prologue. */
export const SNIFF_BYTES = 4096;

const startsWith = (bytes: Uint8Array, signature: readonly number[], offset = 0): boolean =>
  bytes.length >= offset + signature.length && signature.every((byte, i) => bytes[offset + i] === byte);

const ascii = (bytes: Uint8Array, start: number, end: number): string =>
  Buffer.from(
    bytes.buffer,
    bytes.byteOffset + start,
    Math.max(0, Math.min(end, bytes.length) - start),
  ).toString('latin1');

const AVIF_BRANDS = new Set(['avif', 'avis']);
const HEIC_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1']);

/** ISO base media file (`ftyp` box): AVIF or HEIC, told apart by brand. */
function sniffIsoMedia(bytes: Uint8Array): SniffedFormat | undefined {
  if (ascii(bytes, 4, 8) !== 'ftyp') return undefined;
  const boxSize = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 4)).readUInt32BE(0);
  const end = Math.min(bytes.length, Math.max(16, boxSize));
  const brands = [ascii(bytes, 8, 12)];
  // Compatible brands follow the major brand and the minor version.
  for (let offset = 16; offset + 4 <= end; offset += 4) brands.push(ascii(bytes, offset, offset + 4));
  if (brands.some((brand) => AVIF_BRANDS.has(brand))) return { kind: 'raster', format: 'avif' };
  if (brands.some((brand) => HEIC_BRANDS.has(brand))) return { kind: 'raster', format: 'heic' };
  return undefined;
}

/** Markup: an SVG if an `<svg` element opens within the prologue. */
function sniffMarkup(bytes: Uint8Array): SniffedFormat | undefined {
  let text = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, SNIFF_BYTES)).toString(
    'utf8',
  );
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  text = text.trimStart();
  if (!text.startsWith('<')) return undefined;
  return /<svg[\s>/]/i.test(text) ? { kind: 'svg' } : undefined;
}

export function sniffImageFormat(bytes: Uint8Array): SniffedFormat {
  if (bytes.length === 0) return { kind: 'empty' };
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return { kind: 'raster', format: 'jpeg' };
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
    return { kind: 'raster', format: 'png' };
  const head = ascii(bytes, 0, 12);
  if (head.startsWith('GIF87a') || head.startsWith('GIF89a')) return { kind: 'raster', format: 'gif' };
  if (head.startsWith('RIFF') && head.slice(8, 12) === 'WEBP') return { kind: 'raster', format: 'webp' };
  // Classic TIFF and BigTIFF, both byte orders.
  if (
    startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) ||
    startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a]) ||
    startsWith(bytes, [0x49, 0x49, 0x2b, 0x00]) ||
    startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2b])
  ) {
    return { kind: 'raster', format: 'tiff' };
  }
  const isoMedia = sniffIsoMedia(bytes);
  if (isoMedia) return isoMedia;
  if (head.startsWith('%PDF-')) return { kind: 'blocked', format: 'pdf' };
  if (head.startsWith('%!PS')) return { kind: 'blocked', format: 'postscript' };
  if (head.startsWith('BM') && bytes.length >= 26) return { kind: 'unsupported', format: 'bmp' };
  if (head.startsWith('8BPS')) return { kind: 'unsupported', format: 'psd' };
  if (
    startsWith(bytes, [0xff, 0x0a]) ||
    startsWith(bytes, [0x00, 0x00, 0x00, 0x0c, 0x4a, 0x58, 0x4c, 0x20, 0x0d, 0x0a, 0x87, 0x0a])
  ) {
    return { kind: 'unsupported', format: 'jpeg-xl' };
  }
  if (startsWith(bytes, [0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20, 0x0d, 0x0a, 0x87, 0x0a])) {
    return { kind: 'unsupported', format: 'jpeg-2000' };
  }
  if (startsWith(bytes, [0x76, 0x2f, 0x31, 0x01])) return { kind: 'unsupported', format: 'exr' };
  if (startsWith(bytes, [0x00, 0x00, 0x01, 0x00]) && bytes.length >= 22)
    return { kind: 'unsupported', format: 'ico' };
  return sniffMarkup(bytes) ?? { kind: 'unknown' };
}

/** The name a report gives a sniffed format (`detectedFormat`), if it has one. */
export function formatName(sniffed: SniffedFormat): string | undefined {
  switch (sniffed.kind) {
    case 'raster':
    case 'blocked':
    case 'unsupported':
      return sniffed.format;
    case 'svg':
      return 'svg';
    default:
      return undefined;
  }
}

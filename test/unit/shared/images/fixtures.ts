import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';

/** Tiny images generated with sharp itself, so the tests carry no binary fixtures. */

export async function noisyJpeg(width: number, height: number): Promise<Buffer> {
  return sharp({
    create: {
      width,
      height,
      channels: 3,
      background: '#000000',
      noise: { type: 'gaussian', mean: 128, sigma: 40 },
    },
  })
    .jpeg({ quality: 90 })
    .toBuffer();
}

export async function solid(
  width: number,
  height: number,
  colour: string,
  format: 'jpeg' | 'png' | 'webp' | 'gif' | 'tiff' | 'avif',
): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: colour } })
    .toFormat(format)
    .toBuffer();
}

/**
 * 20×30, red on top and blue below, stored with EXIF orientation 6 ("rotate 90° clockwise
 * to view"). Upright it is 30×20 with red on the RIGHT.
 */
export async function orientedJpeg(): Promise<Buffer> {
  const top = await sharp({ create: { width: 20, height: 15, channels: 3, background: '#ff0000' } })
    .png()
    .toBuffer();
  return sharp({ create: { width: 20, height: 30, channels: 3, background: '#0000ff' } })
    .composite([{ input: top, top: 0, left: 0 }])
    .jpeg({ quality: 95 })
    .withMetadata({ orientation: 6 })
    .toBuffer();
}

/** A JPEG carrying camera EXIF, GPS position and an ICC profile — none may reach a thumbnail. */
export async function jpegWithPrivateMetadata(): Promise<Buffer> {
  return sharp({ create: { width: 40, height: 30, channels: 3, background: '#336699' } })
    .withExif({
      IFD0: { Make: 'Stockroom Camera', Model: 'Test 1', Copyright: 'a shop' },
      IFD3: {
        GPSLatitudeRef: 'N',
        GPSLatitude: '51/1 30/1 0/1',
        GPSLongitudeRef: 'W',
        GPSLongitude: '0/1 7/1 0/1',
      },
    })
    .withIccProfile('p3')
    .jpeg()
    .toBuffer();
}

/** 16×16, half-transparent green. */
export async function translucentPng(): Promise<Buffer> {
  return sharp({
    create: { width: 16, height: 16, channels: 4, background: { r: 0, g: 255, b: 0, alpha: 0.5 } },
  })
    .png()
    .toBuffer();
}

export async function cmykJpeg(): Promise<Buffer> {
  return sharp({ create: { width: 24, height: 24, channels: 3, background: '#33aa66' } })
    .toColourspace('cmyk')
    .jpeg()
    .toBuffer();
}

export async function sixteenBitPng(): Promise<Buffer> {
  return sharp({ create: { width: 24, height: 24, channels: 3, background: '#cc8844' } })
    .toColourspace('rgb16')
    .png()
    .toBuffer();
}

/** Two 10×10 frames: red, then blue. */
export async function animatedGif(): Promise<Buffer> {
  const red = await solid(10, 10, '#ff0000', 'png');
  const blue = await solid(10, 10, '#0000ff', 'png');
  return sharp([red, blue], { join: { animated: true } })
    .gif({ delay: [100, 100] })
    .toBuffer();
}

/** The first 60 % of a noisy JPEG: the header is intact, the scan data cut off. */
export async function truncatedJpeg(): Promise<Buffer> {
  const whole = await noisyJpeg(256, 192);
  return whole.subarray(0, Math.floor(whole.length * 0.6));
}

/**
 * A decompression bomb: a few hundred bytes of valid PNG whose header declares
 * 100 000 × 100 000 pixels (10 gigapixels; ~30 GB decoded).
 */
export function pngBomb(width = 100_000, height = 100_000): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const typed = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(typed));
    return Buffer.concat([length, typed, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // truecolour
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.alloc(1024))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

export const SVG = Buffer.from(
  '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20">' +
    '<script>alert(1)</script><rect width="40" height="20" fill="#f80"/></svg>\n',
);

/** The start of an HEIC file (ISO BMFF, brand `heic`); enough for sniffing. */
export const HEIC_HEADER = Buffer.concat([
  Buffer.from([0x00, 0x00, 0x00, 0x18]),
  Buffer.from('ftypheic', 'ascii'),
  Buffer.from([0, 0, 0, 0]),
  Buffer.from('mif1heic', 'ascii'),
  Buffer.alloc(64, 1),
]);

/** Mean of each channel of the left and right thirds of an image. */
export async function leftRightColours(
  image: Buffer,
): Promise<{ left: [number, number, number]; right: [number, number, number] }> {
  const { data, info } = await sharp(image).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const mean = (fromX: number, toX: number): [number, number, number] => {
    const sums = [0, 0, 0];
    let count = 0;
    for (let y = 0; y < info.height; y++) {
      for (let x = fromX; x < toX; x++) {
        for (let c = 0; c < 3; c++)
          sums[c] = (sums[c] ?? 0) + (data[(y * info.width + x) * info.channels + c] ?? 0);
        count++;
      }
    }
    return [(sums[0] ?? 0) / count, (sums[1] ?? 0) / count, (sums[2] ?? 0) / count];
  };
  const third = Math.max(1, Math.floor(info.width / 3));
  return { left: mean(0, third), right: mean(info.width - third, info.width) };
}

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * The packaged sharp layer and thumbnails function (`npm run package` writes them to
 * `.serverless/`; `npm run test:infra` packages first). sharp's native code must come from
 * the layer, built for the function's architecture, and must not be bundled a second time.
 */
const root = join(import.meta.dirname, '..', '..');
const packaged = join(root, '.serverless');

interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  localHeaderOffset: number;
}

/** Lists a zip's entries from its central directory (no Zip64: these archives are small). */
function readZipDirectory(zip: Buffer): ZipEntry[] {
  const endOfDirectory = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (endOfDirectory < 0) throw new Error('not a zip archive');
  const count = zip.readUInt16LE(endOfDirectory + 10);
  let offset = zip.readUInt32LE(endOfDirectory + 16);
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(offset) !== 0x02014b50) throw new Error(`bad central directory entry at ${offset}`);
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    entries.push({
      method: zip.readUInt16LE(offset + 10),
      compressedSize: zip.readUInt32LE(offset + 20),
      localHeaderOffset: zip.readUInt32LE(offset + 42),
      name: zip.toString('utf8', offset + 46, offset + 46 + nameLength),
    });
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

function readZipEntry(zip: Buffer, entry: ZipEntry): Buffer {
  const header = entry.localHeaderOffset;
  const dataStart = header + 30 + zip.readUInt16LE(header + 26) + zip.readUInt16LE(header + 28);
  const data = zip.subarray(dataStart, dataStart + entry.compressedSize);
  if (entry.method === 0) return data;
  if (entry.method === 8) return inflateRawSync(data);
  throw new Error(`unsupported zip compression method ${entry.method}`);
}

interface CloudFormationTemplate {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
}

let layerZip: Buffer;
let layerEntries: ZipEntry[];
let functionZip: Buffer;
let functionEntries: ZipEntry[];
let template: CloudFormationTemplate;

beforeAll(() => {
  const required = ['sharp.zip', 'thumbnails.zip', 'cloudformation-template-update-stack.json'];
  const missing = required.filter((file) => !existsSync(join(packaged, file)));
  if (missing.length > 0) {
    throw new Error(
      `.serverless/ lacks ${missing.join(', ')}: run \`npm run package\` first (npm run test:infra does)`,
    );
  }
  layerZip = readFileSync(join(packaged, 'sharp.zip'));
  layerEntries = readZipDirectory(layerZip);
  functionZip = readFileSync(join(packaged, 'thumbnails.zip'));
  functionEntries = readZipDirectory(functionZip);
  template = JSON.parse(readFileSync(join(packaged, 'cloudformation-template-update-stack.json'), 'utf8'));
});

describe('sharp layer', () => {
  it('holds sharp under nodejs/node_modules, where Lambda’s Node.js runtime looks', () => {
    // Assess
    const names = layerEntries.map((entry) => entry.name);
    expect(names).toContain('nodejs/node_modules/sharp/package.json');
    expect(names).toContain('nodejs/node_modules/sharp/lib/index.js');
  });

  it('holds the linux-arm64 binaries and no other platform’s', () => {
    // Assess
    const names = layerEntries.map((entry) => entry.name);
    expect(names).toContain('nodejs/node_modules/@img/sharp-linux-arm64/lib/sharp-linux-arm64.node');
    expect(
      names.some((name) =>
        /^nodejs\/node_modules\/@img\/sharp-libvips-linux-arm64\/lib\/libvips-cpp\.so/.test(name),
      ),
    ).toBe(true);
    const otherPlatforms = names.filter((name) =>
      /@img\/sharp-(libvips-)?(?!linux-arm64\b)[a-z0-9]+-[a-z0-9]+\//.test(name),
    );
    expect(otherPlatforms).toEqual([]);
  });

  it('ships the same sharp version the tests run against', () => {
    // Prepare
    const entry = layerEntries.find((e) => e.name === 'nodejs/node_modules/sharp/package.json');
    const layerSharp = JSON.parse(readZipEntry(layerZip, entry as ZipEntry).toString('utf8')) as {
      version: string;
    };
    const localSharp = JSON.parse(readFileSync(join(root, 'node_modules/sharp/package.json'), 'utf8')) as {
      version: string;
    };

    // Assess
    expect(layerSharp.version).toBe(localSharp.version);
  });
});

describe('thumbnails function package', () => {
  it('does not bundle sharp: it imports it, from the layer', () => {
    // Prepare
    const bundle = functionEntries.find((entry) => entry.name === 'functions/thumbnails/handler.mjs');

    // Assess
    expect(bundle).toBeDefined();
    expect(functionEntries.filter((entry) => /sharp|@img\/|\.node$|libvips/.test(entry.name))).toEqual([]);
    const code = readZipEntry(functionZip, bundle as ZipEntry).toString('utf8');
    expect(code).toMatch(/from "sharp"/);
  });

  it('references the layer, on the layer’s architecture', () => {
    // Prepare
    const resources = Object.entries(template.Resources);
    const [, thumbnails] =
      resources.find(
        ([, resource]) =>
          resource.Type === 'AWS::Lambda::Function' &&
          resource.Properties?.Handler === 'functions/thumbnails/handler.handler',
      ) ?? [];
    const layer = template.Resources.SharpLambdaLayer;

    // Assess
    expect(thumbnails?.Properties?.Layers).toContainEqual({ Ref: 'SharpLambdaLayer' });
    expect(layer?.Type).toBe('AWS::Lambda::LayerVersion');
    expect(layer?.Properties?.CompatibleArchitectures).toEqual(['arm64']);
    expect(thumbnails?.Properties?.Architectures).toEqual(['arm64']);
  });
});

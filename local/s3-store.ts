import { createHash, randomBytes } from 'node:crypto';
import { type BigIntStats, createReadStream, createWriteStream } from 'node:fs';
import {
  type FileHandle,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import S3Error from 's3rver/lib/models/error.js';
import S3Object, { type Metadata } from 's3rver/lib/models/object.js';
import type FilesystemStore from 's3rver/lib/stores/filesystem.js';
import { ObjectContent, ReadBuffers } from './s3-object-content.ts';

/**
 * s3rver's FilesystemStore, made to hold up under faults. s3rver keeps an object as
 * `<last part of the key>._S3rver_object` (the bytes) and `…._S3rver_metadata.json`, in
 * folders named by the rest of the key, and writes both in place: a GetObject during a
 * PutObject could send half a file, and a crash left metadata files empty or cut short.
 *
 * Here every write goes to a staged file in the S3 directory itself (where s3rver looks
 * for nothing: it takes folders there for buckets, and lists objects only under them) and
 * is renamed into place: a name always holds a whole file. The metadata holds the data's
 * MD5 and size (LOCAL_FIELD) and is renamed first, the data last:
 * - the data's rename is the commit: until then a reader sees the old version, or no object;
 * - a reader takes the body, its size and its date from one open file, so a body is always
 *   one whole version; the metadata names the data file it was written with (its device and
 *   inode, which a rename keeps), and a read whose metadata names another file (a commit of
 *   the key came between the two) is done again, so the ETag and Content-Type are always
 *   that body's. A read that cannot get a matching pair is answered 503 SlowDown, never
 *   with a mismatched one;
 * - a crash between the two renames leaves new metadata naming a staged data file that is
 *   still there: `repairAfterCrash` finishes the write at the next start.
 * This holds when the process dies; after a power cut the file system may lose more.
 */

/** In a metadata file: what the local S3 adds (no header name has a colon). */
export const LOCAL_FIELD = 'local:object';
/** A staged file: `<16 hex digits>.staged` (data) or `….staged.json` (metadata). */
export const STAGED_SUFFIX = '.staged';
const STAGED = /^[0-9a-f]{16}\.staged(\.json)?$/;

interface LocalField {
  md5: string;
  size: number;
  /** The data file this metadata was written with: `<device>:<inode>`. */
  file?: string;
  /** The staged data file's name while the write is being committed. */
  staged?: string;
}

const stagedPath = (root: string): string => join(root, `${randomBytes(8).toString('hex')}${STAGED_SUFFIX}`);
const missing = (error: unknown): boolean =>
  ['ENOENT', 'ENOTDIR', 'ENAMETOOLONG'].includes((error as NodeJS.ErrnoException).code ?? '');

/**
 * S3's limit on a key is 1,024 bytes. The file system's is 255 bytes a name (NAME_MAX): each
 * part of a key between slashes is a folder's name, and the last one, with s3rver's longest
 * suffix, a file's. S3 itself would take a longer part; the local S3 answers as S3 does
 * when a key is too long, rather than fail writing the file.
 */
const MAX_KEY_BYTES = 1024;
const NAME_MAX = 255;
const LONGEST_SUFFIX = '._S3rver_metadata.json'.length;

export function assertKeyFits(key: string): void {
  const bytes = Buffer.byteLength(key);
  const parts = key.split('/').map((part) => Buffer.byteLength(part));
  const last = (parts.pop() ?? 0) + LONGEST_SUFFIX;
  if (bytes <= MAX_KEY_BYTES && last <= NAME_MAX && parts.every((part) => part <= NAME_MAX)) return;
  throw new S3Error('KeyTooLongError', 'Your key is too long', {
    Size: bytes,
    MaxSizeAllowed: MAX_KEY_BYTES,
    LocalLimit: `${NAME_MAX} bytes between slashes, ${NAME_MAX - LONGEST_SUFFIX} after the last`,
  });
}

/**
 * Writes of a key commit one at a time (so that two writes cannot cross their renames): keys
 * are spread over stripes by a hash of their data file's path, and a stripe queues its commits.
 */
type Stripe = { queue: Promise<void> };
const stripes = Array.from({ length: 64 }, (): Stripe => ({ queue: Promise.resolve() }));
const stripeOf = (path: string) =>
  stripes[createHash('md5').update(path).digest().readUInt8(0) % 64] as Stripe;
const READ_ATTEMPTS = 100;

function commit(path: string, renames: () => Promise<void>): Promise<void> {
  const stripe = stripeOf(path);
  const done = stripe.queue.then(renames);
  stripe.queue = done.catch(() => undefined);
  return done;
}

/** A file's identity, kept by a rename: its device and inode. */
const fileIdentity = (stats: BigIntStats): string => `${stats.dev}:${stats.ino}`;

/** `read`, done again (after `discard` and the key's commits) while mismatched; then 503 SlowDown. */
async function readConsistently<T>(
  path: string,
  read: () => Promise<{ value: T; matched: boolean }>,
  discard: (value: T) => Promise<void>,
): Promise<T> {
  for (let attempt = 1; attempt <= READ_ATTEMPTS; attempt += 1) {
    const { value, matched } = await read();
    if (matched) return value;
    await Promise.all([discard(value), stripeOf(path).queue, attempt > 10 && sleep(attempt - 10)]);
  }
  throw new S3Error('SlowDown', 'Please reduce your request rate.', { Reason: 'key written continually' });
}

/** Writes a body to a staged file; its size, MD5 and identity. */
async function stage(path: string, content: Readable | Buffer): Promise<LocalField> {
  const hash = createHash('md5');
  let size = 0;
  await pipeline(
    Buffer.isBuffer(content) ? Readable.from([content]) : content,
    async function* (chunks: AsyncIterable<Buffer>) {
      for await (const chunk of chunks) {
        hash.update(chunk);
        size += chunk.length;
        yield chunk;
      }
    },
    createWriteStream(path, { flags: 'wx' }),
  );
  return { md5: hash.digest('hex'), size, file: fileIdentity(await stat(path, { bigint: true })) };
}

/** Puts metadata in place through a staged file, then the staged data (if any): see above. */
async function commitObject(root: string, paths: { data: string; metadata: string }, stored: object) {
  const { staged } = (stored as { [LOCAL_FIELD]: LocalField })[LOCAL_FIELD];
  const stagedMetadata = `${stagedPath(root)}.json`;
  try {
    await mkdir(dirname(paths.data), { recursive: true });
    await writeFile(stagedMetadata, JSON.stringify(stored), { flag: 'wx' });
    await commit(paths.data, async () => {
      await rename(stagedMetadata, paths.metadata);
      if (staged) await rename(join(root, staged), paths.data);
    });
  } finally {
    await rm(stagedMetadata, { force: true });
  }
}

/** What s3rver keeps of a request's headers: the metadata S3 stores with an object. */
const storedHeaders = (metadata: Metadata): Metadata =>
  Object.fromEntries(
    Object.entries(metadata).filter(
      ([name]) => S3Object.ALLOWED_METADATA.includes(name) || name.startsWith('x-amz-meta-'),
    ),
  );

type OpenedObject = { file: FileHandle; metadata: Metadata };

/** An object's data file, open, and its metadata as s3rver gives it (null when there is no such object). */
function openObject(store: FilesystemStore, bucket: string, key: string): Promise<OpenedObject | null> {
  const data = store.getResourcePath(bucket, key, 'object');
  const read = async (): Promise<{ value: OpenedObject | null; matched: boolean }> => {
    const file = await open(data).catch((error) => (missing(error) ? null : Promise.reject(error)));
    if (!file) return { value: null, matched: true };
    try {
      const [stats, text] = await Promise.all([
        file.stat({ bigint: true }),
        readFile(store.getResourcePath(bucket, key, 'metadata.json'), 'utf8'),
      ]);
      const stored = JSON.parse(text);
      const written = (stored[LOCAL_FIELD] as LocalField | undefined)?.file;
      // Metadata from before identities were kept has none (a start adds it: repairObject).
      const matched = written === undefined || written === fileIdentity(stats);
      return { value: { file, metadata: metadataOf(stored, stats) }, matched };
    } catch (error) {
      await file.close();
      // Deleted between the two (s3rver removes both files at once).
      if (missing(error)) return { value: null, matched: true };
      throw error;
    }
  };
  return readConsistently(data, read, async (opened) => opened?.file.close());
}

function metadataOf(stored: Record<string, unknown>, stats: BigIntStats): Metadata {
  const { [LOCAL_FIELD]: local, ...fields } = stored;
  const md5 = (local as LocalField | undefined)?.md5;
  return {
    ...(fields as Metadata),
    ...(md5 && { etag: JSON.stringify(md5) }),
    'last-modified': stats.mtime.toUTCString(),
    'content-length': Number(stats.size),
  };
}

/**
 * The store's getObject: an object's body reads its open file a megabyte at a time into
 * reused buffers (see s3-object-content.ts). As s3rver 3.7's: null when the object is
 * missing; an unsatisfiable range gets no content (s3rver answers InvalidRange).
 */
async function getObject(
  store: FilesystemStore,
  ...[bucket, key, options]: Parameters<FilesystemStore['getObject']>
): Promise<S3Object | null> {
  const opened = await openObject(store, bucket, key);
  if (!opened) return null;
  const ranged = options !== undefined && (options.start !== undefined || options.end !== undefined);
  const size = Number(opened.metadata['content-length']);
  const range = {
    start: options?.start ?? 0,
    end: Math.min(options?.end ?? Number.POSITIVE_INFINITY, size - 1),
  };
  let content: ObjectContent | null = null;
  // An empty object has no bytes to range over: its body is empty, not "unsatisfiable".
  if (range.start >= 0 && (range.end >= range.start || (!ranged && size === 0))) {
    content = new ObjectContent(opened.file, range, buffers);
  } else {
    await opened.file.close();
  }
  const object = new S3Object(bucket, key, content, opened.metadata);
  if (ranged) object.range = range;
  return object;
}

const buffers = new ReadBuffers();

/** Replaces the store's reads and writes of objects with the ones above. */
export function holdUpUnderFaults(store: FilesystemStore): void {
  const root = store.rootDirectory;
  const pathsOf = (bucket: string, key: string) => ({
    data: store.getResourcePath(bucket, key, 'object'),
    metadata: store.getResourcePath(bucket, key, 'metadata.json'),
  });
  store.getObject = (...args) => getObject(store, ...args);
  store.getMetadata = async (bucket, key) => {
    const opened = await openObject(store, bucket, key);
    if (!opened) throw Object.assign(new Error(`no object ${key}`), { code: 'ENOENT' });
    await opened.file.close();
    return opened.metadata;
  };
  store.existsObject = (bucket, key) =>
    stat(pathsOf(bucket, key).data).then(
      () => true,
      (error) => (missing(error) ? false : Promise.reject(error)),
    );
  // PutObject, a form's upload (POST) and a completed multipart upload all come here.
  store.putObject = async ({ bucket, key, content, metadata }) => {
    assertKeyFits(key);
    const staged = stagedPath(root);
    try {
      const local = await stage(staged, content ?? Buffer.alloc(0));
      await commitObject(root, pathsOf(bucket, key), {
        ...storedHeaders(metadata),
        [LOCAL_FIELD]: { ...local, staged: basename(staged) },
      });
      return local;
    } finally {
      await rm(staged, { force: true });
    }
  };
  // A copy is a read and a write: the data is copied even to the same key (a metadata change).
  store.copyObject = async (sourceBucket, sourceKey, bucket, key, replace) => {
    assertKeyFits(key);
    const source = await store.getObject(sourceBucket, sourceKey);
    if (!source) throw new S3Error('NoSuchKey', 'The specified key does not exist.', { Key: sourceKey });
    try {
      await store.putObject(new S3Object(bucket, key, source.content, replace ?? source.metadata));
    } finally {
      (source.content as Readable | null)?.destroy();
    }
    return store.getMetadata(bucket, key);
  };
  const initiateUpload = store.initiateUpload.bind(store);
  store.initiateUpload = async (bucket, key, ...rest) => {
    assertKeyFits(key);
    return initiateUpload(bucket, key, ...rest);
  };
}

const OBJECT_RESOURCES = ['object', 'metadata.json', 'object.md5'];

/** Files of one object: `<folder>/<last part>._S3rver_<resource>`, by the path before `._S3rver_`. */
async function objectFiles(bucketFolder: string): Promise<Map<string, Set<string>>> {
  const objects = new Map<string, Set<string>>();
  for (const entry of await readdir(bucketFolder, { recursive: true, withFileTypes: true })) {
    const at = entry.name.lastIndexOf('._S3rver_');
    const resource = entry.name.slice(at + '._S3rver_'.length);
    const inUploads = relative(bucketFolder, entry.parentPath).split(sep).includes('._S3rver_uploads');
    if (!entry.isFile() || at < 0 || inUploads || !OBJECT_RESOURCES.includes(resource)) continue;
    const base = `${entry.parentPath}${sep}${entry.name.slice(0, at)}`;
    objects.set(base, (objects.get(base) ?? new Set()).add(resource));
  }
  return objects;
}

/** A metadata file's fields; undefined when it is missing, empty or not a JSON object. */
async function readStored(path: string): Promise<Record<string, unknown> | undefined> {
  const stored: unknown = await readFile(path, 'utf8')
    .then(JSON.parse)
    .catch(() => undefined);
  return stored?.constructor === Object ? (stored as Record<string, unknown>) : undefined;
}

async function md5Of(path: string): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

interface Scan {
  root: string;
  /** Staged files found at the start, less those a repair used. */
  staged: Set<string>;
  repaired: number;
  setAside: number;
  folder: string;
  folderUsed: boolean;
}

async function setAside(scan: Scan, path: string): Promise<void> {
  const target = join(scan.folder, relative(scan.root, path));
  await mkdir(dirname(target), { recursive: true });
  await rename(path, target);
  scan.folderUsed = true;
}

/**
 * One object's files, made whole again: a write stopped between its renames is finished;
 * metadata without data is set aside; metadata that is missing, empty, not JSON or not the
 * data's size is made again from the data file (its MD5; S3's default content type), the
 * damaged file set aside. Metadata that s3rver wrote itself gets LOCAL_FIELD (not counted).
 */
async function repairObject(scan: Scan, base: string, resources: Set<string>): Promise<void> {
  const paths = { data: `${base}._S3rver_object`, metadata: `${base}._S3rver_metadata.json` };
  const stored = resources.has('metadata.json') ? await readStored(paths.metadata) : undefined;
  const local = stored?.[LOCAL_FIELD] as Partial<LocalField> | undefined;
  const finished = Boolean(local?.staged && scan.staged.delete(local.staged));
  if (finished) {
    await rename(join(scan.root, local?.staged as string), paths.data);
    scan.repaired += 1;
  } else if (!resources.has('object')) {
    for (const resource of resources) await setAside(scan, `${base}._S3rver_${resource}`);
    scan.setAside += 1;
    return;
  }
  const stats = await stat(paths.data, { bigint: true });
  const [size, file] = [Number(stats.size), fileIdentity(stats)];
  const sound = typeof local?.md5 === 'string' && local.size === size;
  if (sound && local?.file === file) return;
  const { [LOCAL_FIELD]: _, ...fields } = stored ?? {};
  // Sound but without the data file's identity (kept since a later version): not counted.
  const md5 = sound ? local?.md5 : await md5Of(paths.data);
  const written = sound || (stored !== undefined && local === undefined);
  if (!stored && resources.has('metadata.json')) await setAside(scan, paths.metadata);
  await commitObject(scan.root, paths, { ...fields, [LOCAL_FIELD]: { md5, size, file } });
  await rm(`${base}._S3rver_object.md5`, { force: true });
  if (!written && !finished) scan.repaired += 1;
}

/**
 * Run before s3rver serves a directory: every object is made whole (`repairObject`),
 * damaged files go to `<directory>/../s3-set-aside/<time>/`, staged files no commit needs
 * are removed. Returns what was done, in one line, or undefined when nothing was.
 */
export async function repairAfterCrash(root: string): Promise<string | undefined> {
  const entries = await readdir(root, { withFileTypes: true }).catch((error) =>
    missing(error) ? [] : Promise.reject(error),
  );
  const scan: Scan = {
    root,
    staged: new Set(
      entries.filter((entry) => entry.isFile() && STAGED.test(entry.name)).map(({ name }) => name),
    ),
    repaired: 0,
    setAside: 0,
    folderUsed: false,
    folder: join(root, '..', 's3-set-aside', new Date().toISOString().replace(/[:.]/g, '-')),
  };
  for (const bucket of entries.filter((entry) => entry.isDirectory())) {
    for (const [base, resources] of await objectFiles(join(root, bucket.name))) {
      await repairObject(scan, base, resources);
    }
  }
  for (const name of scan.staged) await rm(join(root, name), { force: true });
  const report = [
    (scan.repaired > 0 || scan.setAside > 0) &&
      `repaired ${scan.repaired} and set aside ${scan.setAside} damaged object(s) left by a crash${scan.folderUsed ? ` (see ${scan.folder})` : ''}`,
    scan.staged.size > 0 && `removed ${scan.staged.size} staged file(s) of unfinished writes`,
  ].filter(Boolean);
  return report.length > 0 ? `s3: ${report.join('; ')}` : undefined;
}

/**
 * Product-images benchmark: the thumbnails handler's whole path (S3 GetObject from the
 * local cloud's S3 → sharp → every width → PutObject, plus its HEAD and report) against,
 * in the same run and through the same local S3:
 * - the peer people actually write, AWS's "Using an Amazon S3 trigger to create thumbnail
 *   images" tutorial (https://docs.aws.amazon.com/lambda/latest/dg/with-s3-tutorial.html)
 *   with a list of widths: GetObject whole into a buffer → `sharp(buffer).clone()` per
 *   width → resize → PutObject;
 * - the ceiling the handler's S3 calls set: every call it makes per image (one GetObject, the
 *   staleness HEAD, one PutObject per width and the report's), measured alone in each round,
 *   on top of raw sharp's CPU; and, informational, the narrower ceiling of the transfer alone
 *   (the GetObject and the width PutObjects), which no handler keeping the flow's guarantees
 *   can reach;
 * - raw sharp making the same thumbnails from a buffer already in memory (informational).
 *
 * Both sides run at the same concurrency: `instances` worker processes at once (default 2,
 * one per core), each handling one image at a time after a warm-up image, as Lambda runs
 * concurrent invocations in separate instances. One instance's waits on S3 can then overlap
 * another's CPU, on both sides alike. Rounds alternate the sides; the ratio reported is the
 * median of the rounds' ratios (the machine is shared and noisy). Peak RSS is per worker
 * (`VmHWM`), i.e. one instance's. The local S3 runs in this process, and its CPU during a
 * run is reported too: it shares the cores with the handler, which it would not in AWS.
 *
 * Targets: handler throughput ≥ 1.3 × the tutorial's and ≥ 0.9 × the S3-calls ceiling;
 * peak RSS < 400 MB with 24 MP JPEGs.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants, type PerformanceEntry, PerformanceObserver } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import {
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { configureSharpForThumbnails } from '../shared/images/render.ts';
import { peakRssMb } from './peak-rss.ts';
import type { BenchResult, BenchTarget } from './types.ts';

export interface BenchImagesOptions {
  /** Photo sizes to measure, in megapixels (3:2). Default 12 and 24. */
  megapixels?: number[];
  /** Distinct generated photos per size. Default 3. */
  variants?: number;
  /**
   * How many times each photo is processed per run, per instance. Default 6: at 2 a side
   * lasted about half a second at 12 MP, and one instance finishing an image before the other
   * moved a round's ratio by ±0.1 (1.28–1.52 in one run); at 6, 1.35–1.46.
   */
  rounds?: number;
  /** Rounds per side, the sides alternating; the median round ratio counts. Default 5. */
  repetitions?: number;
  /**
   * Instances per side running at once, each its own process handling one image at a
   * time (as Lambda runs concurrent invocations in separate instances). Default 2.
   */
  instances?: number;
  /**
   * S3 to read from and write to, e.g. an existing local cloud's. Default: a local cloud
   * is started (S3 only matters; no function is wired, so uploads trigger nothing).
   */
  s3?: { endpoint: string; region: string; uploadsBucket: string; thumbnailsBucket: string };
  log?: (line: string) => void;
}

export type { BenchResult, BenchTarget };

/** Same settings as serverless.yml's defaults. */
const WIDTHS = [200, 400];
const FORMAT = 'webp';
const QUALITY = 80;
const MAX_INPUT_PIXELS = 50_000_000;
/** The handler gives sharp a deadline; raw sharp gets the same one. */
const RENDER_TIMEOUT_SECONDS = 55;
const RSS_LIMIT_MB = 400;
const TUTORIAL_RATIO_TARGET = 1.3;
const CEILING_RATIO_TARGET = 0.9;

type Mode = 'handler' | 'tutorial' | 'raw' | 'raw-clone' | 'download' | 'requests' | 'transfer';
/** The sides that read and write the local S3 (the others work from memory). */
const S3_MODES: ReadonlySet<Mode> = new Set(['handler', 'tutorial', 'download', 'requests', 'transfer']);
/** The local S3 (s3rver) needs path-style addressing and checksums only when required. */
const LOCAL_S3_CLIENT: S3ClientConfig = {
  forcePathStyle: true,
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
};

interface WorkerJob {
  mode: Mode;
  files: string[];
  rounds: number;
  /** This instance's keys (one per file): instances never write the same thumbnails. */
  keys?: string[];
  uploadsBucket?: string;
}

/** What one worker process prints when done. */
interface WorkerReport {
  images: number;
  /** CPU time of the worker process (user + system, all threads) over the timed part. */
  cpuSeconds: number;
  /** Time in V8's garbage collector over the timed part, and how many full collections. */
  gcSeconds: number;
  fullGcs: number;
  maxRssMb: number;
}

/** One side's run: `instances` workers started together. */
interface SideRun {
  images: number;
  /** From the start signal to the last worker's report. */
  seconds: number;
  cpuSeconds: number;
  gcSeconds: number;
  fullGcs: number;
  /** This process's CPU meanwhile: the local S3 serving the workers (idle otherwise). */
  s3CpuSeconds: number;
  s3GcSeconds: number;
  /** The largest worker's peak: one instance's memory. */
  maxRssMb: number;
}

const self = fileURLToPath(import.meta.url);

/**
 * A photo-like JPEG: smooth colour gradients, coarse noise (texture) and fine noise
 * (grain), at quality 90 — it compresses like a camera photo (~11 MB at 24 MP).
 */
export async function photoLikeJpeg(megapixels: number, seed: number): Promise<Buffer> {
  const width = Math.round(Math.sqrt((megapixels * 1_000_000 * 3) / 2));
  const height = Math.round((width * 2) / 3);
  const gradient = Buffer.allocUnsafe(width * height * 3);
  const shift = (seed * 37) % 255;
  for (let y = 0; y < height; y++) {
    const gy = y / height;
    for (let x = 0; x < width; x++) {
      const gx = x / width;
      const i = (y * width + x) * 3;
      gradient[i] = (40 + 180 * gx + shift) & 255;
      gradient[i + 1] = 60 + 150 * gy;
      gradient[i + 2] = 200 - 120 * gx * gy;
    }
  }
  const coarse = await sharp({
    create: {
      width: Math.round(width / 16),
      height: Math.round(height / 16),
      channels: 3,
      background: '#000000',
      noise: { type: 'gaussian', mean: 128, sigma: 60 },
    },
  })
    .resize(width, height, { kernel: 'cubic' })
    .png({ compressionLevel: 0 })
    .toBuffer();
  const grain = await sharp({
    create: {
      width: 512,
      height: 512,
      channels: 3,
      background: '#000000',
      noise: { type: 'gaussian', mean: 128, sigma: 25 },
    },
  })
    .png({ compressionLevel: 0 })
    .toBuffer();
  return sharp(gradient, { raw: { width, height, channels: 3 } })
    .composite([
      { input: coarse, blend: 'soft-light' },
      { input: grain, tile: true, blend: 'overlay' },
    ])
    .jpeg({ quality: 90 })
    .toBuffer();
}

export async function benchImages(options: BenchImagesOptions = {}): Promise<BenchResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const megapixels = options.megapixels ?? [12, 24];
  const variants = options.variants ?? 3;
  const rounds = options.rounds ?? 6;
  const repetitions = options.repetitions ?? 5;
  const instances = options.instances ?? 2;
  const workDir = await mkdtemp(join(tmpdir(), 'stockroom-bench-images-'));
  let stopCloud: (() => Promise<void>) | undefined;
  try {
    let s3Target = options.s3;
    if (!s3Target) {
      const { startLocalCloud } = await import('../local/cloud.ts');
      const cloud = await startLocalCloud({
        dataDir: join(workDir, 'cloud'),
        inMemory: true,
        verbose: false,
        functions: [],
      });
      stopCloud = () => cloud.stop();
      s3Target = {
        endpoint: cloud.endpoints.endpoints.s3,
        region: cloud.endpoints.region,
        uploadsBucket: cloud.endpoints.buckets.uploads,
        thumbnailsBucket: cloud.endpoints.buckets.thumbnails,
      };
    }
    const s3 = new S3Client({
      ...LOCAL_S3_CLIENT,
      endpoint: s3Target.endpoint,
      region: s3Target.region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });

    const metrics: Record<string, number> = {};
    const targets: BenchTarget[] = [];
    const notes: string[] = [
      `widths ${WIDTHS.join(',')} as ${FORMAT} q${QUALITY}, the same ThumbnailRenderer settings on both sides (pixel limit, deadline), and the handler's libvips settings on every side (configureSharpForThumbnails: cache off)`,
      `concurrency: ${instances} instances per side at once, each its own process handling one image at a time (as Lambda runs concurrent invocations in separate instances), so one instance's S3 waits overlap another's CPU, on both sides alike; each instance processes ${variants} photos × ${rounds} after a warm-up image, under keys of its own`,
      `method: ${repetitions} rounds, each running raw sharp, the tutorial, the handler path, then the handler's S3 calls alone (alternating, so a burst of load from other work on the shared machine hits one round rather than one side); each ratio is the median of the rounds' ratios, absolute figures the median round's`,
      "the tutorial: AWS's S3-trigger thumbnail tutorial with the handler's widths and format (GetObject read whole into a buffer, `sharp(buffer).clone()` per width, resize, WebP, PutObject per width, the widths at once), libvips' cache off as on the other sides, through the same local S3 and client settings",
      "the S3-calls ceiling (the target): every S3 call the handler makes per image, measured alone at both ends in each round, right after the handler's side: one GetObject read whole, one HeadObject, a PutObject per width (the first photo's real thumbnails) and the report's; raw sharp's CPU over raw sharp's plus those calls' CPU is the best handler ÷ raw ratio that any handler making those calls could reach on these shared cores; the handler's ratio is divided by it round by round, and the median taken",
      "the S3-transfer ceiling (informational, the target as first posed): the GetObject and the width PutObjects only. No handler that keeps the flow's guarantees can reach it: without the HeadObject an older event's thumbnails could overwrite a newer upload's, and without the report PUT an upload's outcome would go unrecorded",
      'the S3 calls of the handler per image: one HeadObject (the staleness check reads the widest thumbnail only), one GetObject, one PutObject per width and one for the report',
      'the local S3 runs in the benchmark process, on the same cores as both sides: its CPU is counted in the handler path (s3_server_cpu_ms_per_image), unlike in AWS',
      'peak RSS is per instance (the largest worker process), as a Lambda function would see it',
      `sharp ${sharp.versions.sharp} (libvips ${sharp.versions.vips}), SIMD ${sharp.simd()}; libvips threads per image: sharp's default in each worker`,
    ];
    for (const mp of megapixels) {
      const files: string[] = [];
      const keysByInstance: string[][] = Array.from({ length: instances }, () => []);
      let bytes = 0;
      for (let variant = 0; variant < variants; variant++) {
        const photo = await photoLikeJpeg(mp, variant + mp);
        bytes += photo.length;
        const file = join(workDir, `${mp}mp-${variant}.jpg`);
        await writeFile(file, photo);
        files.push(file);
        for (let instance = 0; instance < instances; instance++) {
          const key = `images/bench/${mp}mp photo ${variant} (instance ${instance}).jpg`;
          keysByInstance[instance]?.push(key);
          await s3.send(
            new PutObjectCommand({
              Bucket: s3Target.uploadsBucket,
              Key: key,
              Body: photo,
              ContentType: 'image/jpeg',
            }),
          );
        }
      }
      log(`images: ${mp} MP, ${variants} photos averaging ${(bytes / variants / 1e6).toFixed(1)} MB`);

      const side = (mode: Mode): Promise<SideRun> =>
        runSide(
          keysByInstance.map((keys) => ({
            mode,
            files,
            rounds,
            ...(S3_MODES.has(mode) ? { keys, uploadsBucket: s3Target.uploadsBucket } : {}),
          })),
          s3Target,
        );
      const pairs: BenchRound[] = [];
      for (let repetition = 0; repetition < repetitions; repetition++) {
        const raw = await side('raw');
        const tutorial = await side('tutorial');
        const handler = await side('handler');
        // The S3 calls alone, in the same round: a ceiling is raw sharp's CPU of this round
        // against these calls' CPU of this round, so a burst of outside load moves both.
        const download = await side('download');
        const requests = await side('requests');
        const transfer = await side('transfer');
        const ratio = rate(handler) / rate(raw);
        const callsCeiling = ceilingOf(raw, [download, requests]);
        const transferCeiling = ceilingOf(raw, [transfer]);
        const measured: BenchRound = {
          raw,
          tutorial,
          handler,
          download,
          requests,
          transfer,
          ratio,
          tutorialRatio: rate(handler) / rate(tutorial),
          callsCeiling,
          callsCeilingRatio: ratio / callsCeiling,
          transferCeiling,
          transferCeilingRatio: ratio / transferCeiling,
        };
        pairs.push(measured);
        log(
          `images: ${mp} MP round ${repetition + 1}: raw ${msPerImage(raw).toFixed(0)} ms/image, tutorial ${msPerImage(tutorial).toFixed(0)} ms/image, handler ${msPerImage(handler).toFixed(0)} ms/image = ${ratio.toFixed(2)}× raw, ${measured.tutorialRatio.toFixed(2)}× tutorial, ${measured.callsCeilingRatio.toFixed(2)}× the calls ceiling (${callsCeiling.toFixed(2)}× raw), ${measured.transferCeilingRatio.toFixed(2)}× the transfer ceiling (${transferCeiling.toFixed(2)}× raw)`,
        );
      }
      const rawClone = await side('raw-clone');
      const median = medianRound(pairs, (pair) => pair.ratio);
      const { raw, handler, ratio } = median;
      const { tutorial, tutorialRatio } = medianRound(pairs, (pair) => pair.tutorialRatio);
      const { download, requests, transfer, callsCeiling, callsCeilingRatio } = medianRound(
        pairs,
        (pair) => pair.callsCeilingRatio,
      );
      const { transferCeiling, transferCeilingRatio } = medianRound(
        pairs,
        (pair) => pair.transferCeilingRatio,
      );
      const bestRatio = Math.max(...pairs.map((pair) => pair.ratio));
      const peakRss = (pick: (pair: BenchRound) => SideRun): number =>
        Math.max(...pairs.map((pair) => pick(pair).maxRssMb));
      const handlerRss = peakRss((pair) => pair.handler);
      const rawRss = peakRss((pair) => pair.raw);
      Object.assign(metrics, {
        [`${mp}mp_raw_images_per_s`]: round(rate(raw)),
        [`${mp}mp_raw_clone_images_per_s`]: round(rate(rawClone)),
        [`${mp}mp_tutorial_images_per_s`]: round(rate(tutorial)),
        [`${mp}mp_handler_images_per_s`]: round(rate(handler)),
        [`${mp}mp_handler_to_tutorial_ratio_median`]: round(tutorialRatio),
        [`${mp}mp_handler_to_raw_ratio_median`]: round(ratio),
        [`${mp}mp_handler_to_raw_ratio_best`]: round(bestRatio),
        [`${mp}mp_s3_calls_ceiling_to_raw_ratio`]: round(callsCeiling),
        [`${mp}mp_s3_transfer_ceiling_to_raw_ratio`]: round(transferCeiling),
        [`${mp}mp_raw_ms_per_image`]: round(msPerImage(raw)),
        [`${mp}mp_tutorial_ms_per_image`]: round(msPerImage(tutorial)),
        [`${mp}mp_handler_ms_per_image`]: round(msPerImage(handler)),
        [`${mp}mp_s3_get_ms_per_image`]: round(msPerImage(download)),
        [`${mp}mp_s3_get_client_cpu_ms_per_image`]: round(cpuMsPerImage(download)),
        [`${mp}mp_s3_get_server_cpu_ms_per_image`]: round(s3CpuMsPerImage(download)),
        [`${mp}mp_s3_other_calls_client_cpu_ms_per_image`]: round(cpuMsPerImage(requests)),
        [`${mp}mp_s3_other_calls_server_cpu_ms_per_image`]: round(s3CpuMsPerImage(requests)),
        [`${mp}mp_s3_transfer_client_cpu_ms_per_image`]: round(cpuMsPerImage(transfer)),
        [`${mp}mp_s3_transfer_server_cpu_ms_per_image`]: round(s3CpuMsPerImage(transfer)),
        [`${mp}mp_raw_cpu_ms_per_image`]: round(cpuMsPerImage(raw)),
        [`${mp}mp_tutorial_cpu_ms_per_image`]: round(cpuMsPerImage(tutorial)),
        [`${mp}mp_handler_cpu_ms_per_image`]: round(cpuMsPerImage(handler)),
        [`${mp}mp_s3_server_cpu_ms_per_image`]: round(s3CpuMsPerImage(handler)),
        [`${mp}mp_raw_gc_ms_per_image`]: round((raw.gcSeconds * 1000) / raw.images),
        [`${mp}mp_handler_gc_ms_per_image`]: round((handler.gcSeconds * 1000) / handler.images),
        [`${mp}mp_raw_full_gcs_per_image`]: round(raw.fullGcs / raw.images),
        [`${mp}mp_handler_full_gcs_per_image`]: round(handler.fullGcs / handler.images),
        [`${mp}mp_s3_server_gc_ms_per_image`]: round((handler.s3GcSeconds * 1000) / handler.images),
        [`${mp}mp_raw_peak_rss_mb`]: Math.round(rawRss),
        [`${mp}mp_tutorial_peak_rss_mb`]: Math.round(peakRss((pair) => pair.tutorial)),
        [`${mp}mp_handler_peak_rss_mb`]: Math.round(handlerRss),
      });
      log(
        `images: ${mp} MP — median round: raw sharp ${msPerImage(raw).toFixed(0)} ms/image ` +
          `(clone() per size: ${msPerImage(rawClone).toFixed(0)}), handler path ${msPerImage(handler).toFixed(0)} ms/image ` +
          `= ${ratio.toFixed(2)}× raw throughput (best round ${bestRatio.toFixed(2)}×; GetObject alone: ${msPerImage(download).toFixed(0)} ms/image), ` +
          `${tutorialRatio.toFixed(2)}× the tutorial's, ${callsCeilingRatio.toFixed(2)}× the S3-calls ceiling (${callsCeiling.toFixed(2)}× raw), ` +
          `${transferCeilingRatio.toFixed(2)}× the S3-transfer ceiling (${transferCeiling.toFixed(2)}× raw); ` +
          `CPU/image raw ${cpuMsPerImage(raw).toFixed(0)} ms, handler ${cpuMsPerImage(handler).toFixed(0)} ms + local S3 ${s3CpuMsPerImage(handler).toFixed(0)} ms; ` +
          `peak RSS per instance: handler ${handlerRss.toFixed(0)} MB, raw ${rawRss.toFixed(0)} MB`,
      );
      targets.push({
        name: `${mp} MP handler path throughput / the S3-trigger tutorial's (GetObject whole, clone() per width, PutObject; ${instances} at once, median of ${repetitions} rounds)`,
        value: round(tutorialRatio),
        target: `>= ${TUTORIAL_RATIO_TARGET}`,
        pass: tutorialRatio >= TUTORIAL_RATIO_TARGET,
      });
      targets.push({
        name: `${mp} MP handler path throughput / the S3-calls ceiling (raw sharp's CPU plus every call the handler must make: one GetObject, one HeadObject, a PutObject per width and the report's, both ends; median of ${repetitions} rounds)`,
        value: round(callsCeilingRatio),
        target: `>= ${CEILING_RATIO_TARGET}`,
        pass: callsCeilingRatio >= CEILING_RATIO_TARGET,
      });
      targets.push({
        name: `${mp} MP handler path throughput / the S3-transfer ceiling (one GetObject and a PutObject per width only: without the staleness HEAD and the report PUT the handler must make) (informational)`,
        value: round(transferCeilingRatio),
        target: 'informational',
        pass: true,
      });
      targets.push({
        name: `${mp} MP handler path throughput / raw sharp from memory (${instances} at once, median of ${repetitions} rounds) (informational)`,
        value: round(ratio),
        target: 'informational',
        pass: true,
      });
      targets.push({
        name: `${mp} MP CPU per image, raw sharp / (handler process + local S3) (informational)`,
        value: round(cpuMsPerImage(raw) / (cpuMsPerImage(handler) + s3CpuMsPerImage(handler))),
        target: 'informational',
        pass: true,
      });
      targets.push({
        name: `${mp} MP S3-calls ceiling: raw / (raw + GetObject, 1 HEAD, ${WIDTHS.length + 1} PutObject at both ends) (informational)`,
        value: round(callsCeiling),
        target: 'informational',
        pass: true,
      });
      targets.push({
        name: `${mp} MP S3-transfer ceiling: raw / (raw + GetObject, ${WIDTHS.length} PutObject at both ends) (informational)`,
        value: round(transferCeiling),
        target: 'informational',
        pass: true,
      });
      if (mp >= 24) {
        targets.push({
          name: `${mp} MP handler peak RSS per instance (MB)`,
          value: Math.round(handlerRss),
          target: `< ${RSS_LIMIT_MB}`,
          pass: handlerRss < RSS_LIMIT_MB,
        });
      }
    }
    s3.destroy();
    return { name: 'images', metrics, targets, notes };
  } finally {
    await stopCloud?.();
    await rm(workDir, { recursive: true, force: true });
  }
}

const round = (value: number): number => Math.round(value * 100) / 100;
const rate = (run: SideRun): number => run.images / run.seconds;
const msPerImage = (run: SideRun): number => (run.seconds * 1000) / run.images;
const cpuMsPerImage = (run: SideRun): number => (run.cpuSeconds * 1000) / run.images;
/** The local S3's CPU (this process's) per image of a side. */
const s3CpuMsPerImage = (run: SideRun): number => (run.s3CpuSeconds * 1000) / run.images;

/** One repetition: each side once, in turn, and the handler's throughput against the others. */
interface BenchRound {
  raw: SideRun;
  tutorial: SideRun;
  handler: SideRun;
  /** The handler's S3 calls alone: GetObject; HEAD, a PutObject per width and the report's; GetObject and the width PutObjects. */
  download: SideRun;
  requests: SideRun;
  transfer: SideRun;
  /** handler ÷ raw sharp */
  ratio: number;
  /** handler ÷ the tutorial */
  tutorialRatio: number;
  /** The best handler ÷ raw ratio that every call the handler makes allows, and the handler's ratio ÷ it. */
  callsCeiling: number;
  callsCeilingRatio: number;
  /** The same for the transfer alone (one GetObject, a PutObject per width). */
  transferCeiling: number;
  transferCeilingRatio: number;
}

/**
 * The best handler ÷ raw ratio that S3 calls allow on shared cores (the sides are CPU-bound):
 * raw sharp's CPU over raw sharp's plus the calls' CPU at both ends.
 */
function ceilingOf(raw: SideRun, calls: SideRun[]): number {
  const callsCpuMs = calls.reduce((total, run) => total + cpuMsPerImage(run) + s3CpuMsPerImage(run), 0);
  return cpuMsPerImage(raw) / (cpuMsPerImage(raw) + callsCpuMs);
}

/** The round whose `pick` is the median; its absolute figures go with that ratio. */
function medianRound(rounds: BenchRound[], pick: (round: BenchRound) => number): BenchRound {
  const median = [...rounds].sort((a, b) => pick(a) - pick(b))[Math.floor(rounds.length / 2)];
  if (!median) throw new Error('no rounds');
  return median;
}

/**
 * Starts one worker process per job, waits until every one has loaded and done its warm-up
 * image, then starts them all at once and times them until the last one reports.
 */
async function runSide(jobs: WorkerJob[], s3: NonNullable<BenchImagesOptions['s3']>): Promise<SideRun> {
  const workers = await Promise.all(jobs.map((job) => startWorker(job, s3)));
  try {
    await Promise.all(workers.map((worker) => worker.ready));
    const gc = watchGarbageCollection();
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    for (const worker of workers) worker.go();
    const reports = await Promise.all(workers.map((worker) => worker.done));
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const s3Gc = gc.stop();
    const sum = (pick: (report: WorkerReport) => number): number =>
      reports.reduce((total, report) => total + pick(report), 0);
    return {
      images: sum((report) => report.images),
      seconds,
      cpuSeconds: sum((report) => report.cpuSeconds),
      gcSeconds: sum((report) => report.gcSeconds),
      fullGcs: sum((report) => report.fullGcs),
      s3CpuSeconds: (cpu.user + cpu.system) / 1e6,
      s3GcSeconds: s3Gc.seconds,
      maxRssMb: Math.max(...reports.map((report) => report.maxRssMb)),
    };
  } finally {
    for (const worker of workers) worker.kill();
    await Promise.all(workers.map((worker) => rm(worker.jobFile, { force: true })));
  }
}

interface StartedWorker {
  jobFile: string;
  ready: Promise<void>;
  done: Promise<WorkerReport>;
  go(): void;
  kill(): void;
}

let jobSequence = 0;

async function startWorker(
  job: WorkerJob,
  s3: NonNullable<BenchImagesOptions['s3']>,
): Promise<StartedWorker> {
  jobSequence += 1;
  const jobFile = join(tmpdir(), `stockroom-bench-job-${process.pid}-${jobSequence}.json`);
  await writeFile(jobFile, JSON.stringify(job));
  // The handler reads its configuration from its own (the child's) environment, exactly
  // as in Lambda; nothing here changes this process's environment.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_REGION: s3.region,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    STOCKROOM_LOCAL_CLOUD: '1',
    UPLOADS_BUCKET: s3.uploadsBucket,
    THUMBNAILS_BUCKET: s3.thumbnailsBucket,
    THUMBNAIL_WIDTHS: WIDTHS.join(','),
    THUMBNAIL_FORMAT: FORMAT,
    THUMBNAIL_QUALITY: String(QUALITY),
    THUMBNAIL_MAX_INPUT_PIXELS: String(MAX_INPUT_PIXELS),
    POWERTOOLS_SERVICE_NAME: 'thumbnails',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_TRACE_ENABLED: 'false',
  };
  delete env.AWS_PROFILE;
  delete env.AWS_SESSION_TOKEN;
  const child = spawn(process.execPath, ['--import', 'tsx', self, '--images-worker', jobFile], {
    env,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  let pending = '';
  child.stdout.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    for (let newline = pending.indexOf('\n'); newline >= 0; newline = pending.indexOf('\n')) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      const waiter = waiting.shift();
      if (waiter) waiter(line);
      else lines.push(line);
    }
  });
  const exited = new Promise<never>((_, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`images bench worker (${job.mode}) exited with ${code}`)));
  });
  exited.catch(() => undefined);
  const nextLine = (): Promise<string> =>
    Promise.race([
      new Promise<string>((resolve) => {
        const line = lines.shift();
        if (line !== undefined) resolve(line);
        else waiting.push(resolve);
      }),
      exited,
    ]);
  const ready = nextLine().then((line) => {
    if (line !== 'ready') throw new Error(`images bench worker (${job.mode}) said ${line}`);
  });
  ready.catch(() => undefined);
  const done = ready.then(async () => JSON.parse(await nextLine()) as WorkerReport);
  done.catch(() => undefined);
  return {
    jobFile,
    ready,
    done,
    go: () => child.stdin.write('go\n'),
    kill: () => {
      if (child.exitCode === null) child.kill();
    },
  };
}

/** A ThumbnailRenderer with the handler's settings. */
async function handlerRenderer() {
  const { ThumbnailRenderer } = await import('../shared/images/render.ts');
  return new ThumbnailRenderer({
    widths: WIDTHS,
    format: FORMAT,
    quality: QUALITY,
    maxInputPixels: MAX_INPUT_PIXELS,
    allowSvg: false,
  });
}

const thumbnailsBucket = (): string => process.env.THUMBNAILS_BUCKET ?? '';
const probeKey = (key: string, width: number): string => `${key}/probe-${width}.${FORMAT}`;

/** GetObject of a source and its body read as the handler reads it (into reused memory). */
async function sourceDownloader(job: WorkerJob): Promise<(key: string) => Promise<void>> {
  const { readBody } = await import('../shared/images/source-body.ts');
  const { InputBuffers } = await import('../shared/images/input-buffers.ts');
  const buffers = new InputBuffers();
  const client = new S3Client(LOCAL_S3_CLIENT);
  return async (key) => {
    const response = await client.send(new GetObjectCommand({ Bucket: job.uploadsBucket, Key: key }));
    const body = await readBody(response.Body, response.ContentLength, 60_000_000, buffers);
    if (body) buffers.give(body);
  };
}

/** A PutObject per width of a photo's real thumbnails, with the handler's headers, under probe keys. */
async function thumbnailUploader(photo: Buffer | undefined): Promise<(key: string) => Promise<void>> {
  const client = new S3Client(LOCAL_S3_CLIENT);
  const rendered = await (await handlerRenderer()).render(photo ?? Buffer.alloc(0));
  return async (key) => {
    await Promise.all(
      rendered.thumbnails.map((thumbnail) =>
        client.send(
          new PutObjectCommand({
            Bucket: thumbnailsBucket(),
            Key: probeKey(key, thumbnail.requestedWidth),
            Body: thumbnail.data,
            ContentType: thumbnail.contentType,
            CacheControl: 'public, max-age=86400',
            Metadata: { 'source-key': encodeURIComponent(key), sequencer: `${Date.now()}` },
          }),
        ),
      ),
    );
  };
}

/** One instance of one side, in a fresh process. Prints `ready`, waits for `go`, prints one JSON line. */
async function worker(jobFile: string): Promise<void> {
  const job = JSON.parse(await readFile(jobFile, 'utf8')) as WorkerJob;
  const photos = await Promise.all(job.files.map((file) => readFile(file)));
  let work: (index: number) => Promise<void>;

  if (job.mode === 'handler') {
    const { handler } = await import('../functions/thumbnails/handler.ts');
    let sequence = 0;
    const context = {
      functionName: 'thumbnails',
      awsRequestId: 'bench',
      getRemainingTimeInMillis: () => 60_000,
    };
    work = async (index) => {
      const key = job.keys?.[index] ?? '';
      sequence += 1;
      const event = {
        Records: [
          {
            eventVersion: '2.1',
            eventSource: 'aws:s3',
            eventName: 'ObjectCreated:Put',
            s3: {
              bucket: { name: job.uploadsBucket },
              object: {
                key: encodeURIComponent(key).replace(/%2F/g, '/').replace(/%20/g, '+'),
                size: photos[index]?.length,
                // Like S3's: growing for every event of a key, across worker processes too.
                sequencer:
                  `${Date.now().toString(16)}${sequence.toString(16).padStart(8, '0')}`.toUpperCase(),
              },
            },
          },
        ],
      };
      const summary = (await handler(event as never, context as never)) as { records: { status: string }[] };
      if (summary.records[0]?.status !== 'processed')
        throw new Error(`not processed: ${JSON.stringify(summary)}`);
    };
  } else if (job.mode === 'tutorial') {
    // AWS's S3-trigger tutorial (its Node.js code), with the handler's widths and format.
    const client = new S3Client(LOCAL_S3_CLIENT);
    configureSharpForThumbnails();
    work = async (index) => {
      const key = job.keys?.[index] ?? '';
      const response = await client.send(new GetObjectCommand({ Bucket: job.uploadsBucket, Key: key }));
      const image = sharp(Buffer.concat(await (response.Body as Readable).toArray()));
      await Promise.all(
        WIDTHS.map(async (width) => {
          const output = await image.clone().resize(width).webp({ quality: QUALITY }).toBuffer();
          await client.send(
            new PutObjectCommand({
              Bucket: thumbnailsBucket(),
              Key: `${key}/tutorial-${width}.${FORMAT}`,
              Body: output,
              ContentType: 'image/webp',
            }),
          );
        }),
      );
    };
  } else if (job.mode === 'download') {
    // Only GetObject and reading the body: the local S3's share of the handler's time.
    const download = await sourceDownloader(job);
    work = (index) => download(job.keys?.[index] ?? '');
  } else if (job.mode === 'transfer') {
    // The S3 transfer no handler can avoid: the source read whole, a PutObject per width.
    const download = await sourceDownloader(job);
    const putThumbnails = await thumbnailUploader(photos[0]);
    work = async (index) => {
      const key = job.keys?.[index] ?? '';
      await download(key);
      await putThumbnails(key);
    };
  } else if (job.mode === 'requests') {
    // The handler's other S3 calls for an image, without the image: the staleness check's
    // one HeadObject (of the widest), a PutObject per thumbnail (the real thumbnails of the
    // first photo, with the handler's headers) and the report's.
    const client = new S3Client(LOCAL_S3_CLIENT);
    const putThumbnails = await thumbnailUploader(photos[0]);
    const report = JSON.stringify({
      source: { bucket: job.uploadsBucket, key: job.keys?.[0], etag: '0'.repeat(32) },
      status: 'processed',
      thumbnails: WIDTHS.map((width) => ({ key: probeKey(job.keys?.[0] ?? '', width), width })),
      at: new Date().toISOString(),
    });
    work = async (index) => {
      const key = job.keys?.[index] ?? '';
      await client
        .send(new HeadObjectCommand({ Bucket: thumbnailsBucket(), Key: probeKey(key, Math.max(...WIDTHS)) }))
        .catch(() => undefined);
      await putThumbnails(key);
      await client.send(
        new PutObjectCommand({
          Bucket: job.uploadsBucket,
          Key: `reports/bench-probe/${key}.json`,
          Body: report,
          ContentType: 'application/json',
        }),
      );
    };
  } else if (job.mode === 'raw') {
    // Raw sharp with the handler's renderer and settings (one decode, every width), in memory.
    configureSharpForThumbnails();
    const renderer = await handlerRenderer();
    work = async (index) => {
      await renderer.render(photos[index] ?? Buffer.alloc(0), { timeoutSeconds: RENDER_TIMEOUT_SECONDS });
    };
  } else {
    // The textbook way: clone() per size (each size decodes the source again).
    configureSharpForThumbnails();
    work = async (index) => {
      const source = sharp(photos[index], { failOn: 'error', autoOrient: true });
      await Promise.all(
        WIDTHS.map((width) =>
          source
            .clone()
            .resize({ width, withoutEnlargement: true })
            .toColourspace('srgb')
            .webp({ quality: QUALITY })
            .toBuffer(),
        ),
      );
    };
  }

  await work(0);
  process.stdout.write('ready\n');
  await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
  const gc = watchGarbageCollection();
  const cpuBefore = process.cpuUsage();
  let images = 0;
  for (let round = 0; round < job.rounds; round++) {
    for (let index = 0; index < photos.length; index++) {
      await work(index);
      images += 1;
    }
  }
  const cpu = process.cpuUsage(cpuBefore);
  const collected = gc.stop();
  const result: WorkerReport = {
    images,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    gcSeconds: collected.seconds,
    fullGcs: collected.fullGcs,
    maxRssMb: await peakRssMb(),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.stdin.destroy();
}

/** Time spent in V8's garbage collector from now until `stop()`, from Node's `gc` entries. */
function watchGarbageCollection(): { stop(): { seconds: number; fullGcs: number } } {
  let milliseconds = 0;
  let fullGcs = 0;
  const tally = (entries: PerformanceEntry[]): void => {
    for (const entry of entries) {
      milliseconds += entry.duration;
      const kind = (entry as { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) fullGcs += 1;
    }
  };
  const observer = new PerformanceObserver((list) => tally(list.getEntries()));
  observer.observe({ entryTypes: ['gc'] });
  return {
    stop: () => {
      tally(observer.takeRecords());
      observer.disconnect();
      return { seconds: milliseconds / 1000, fullGcs };
    },
  };
}

if (process.argv[2] === '--images-worker' && process.argv[3]) {
  await worker(process.argv[3]);
} else if (process.argv[1] === self) {
  const result = await benchImages();
  console.log(JSON.stringify(result, null, 2));
  process.exitCode = result.targets.every((target) => target.pass) ? 0 : 1;
}

/**
 * S3's `s3.object.sequencer`: a hex string that orders the events of ONE object key
 * (a greater value happened later). Sequencers may differ in length; AWS says to left-pad
 * the shorter one with zeros and compare lexicographically.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
 *
 * S3 delivers events at least once and in no particular order, so the sequencer is stored
 * with every thumbnail (object metadata) and compared before anything overwrites or
 * deletes one. Sequencers of different keys mean nothing to each other.
 */

/** The metadata key (S3 lower-cases user metadata names) that carries the sequencer. */
export const SEQUENCER_METADATA_KEY = 'sequencer';

/** Upper-cased hex, or undefined for anything that is not a sequencer. */
export function normalizeSequencer(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  return /^[0-9a-f]+$/i.test(trimmed) ? trimmed.toUpperCase() : undefined;
}

/** Negative when `a` happened before `b`, 0 for the same event, positive when after. */
export function compareSequencers(a: string, b: string): number {
  const left = normalizeSequencer(a);
  const right = normalizeSequencer(b);
  if (left === undefined || right === undefined) {
    throw new TypeError(`not S3 sequencers: ${JSON.stringify(a)}, ${JSON.stringify(b)}`);
  }
  const length = Math.max(left.length, right.length);
  const paddedLeft = left.padStart(length, '0');
  const paddedRight = right.padStart(length, '0');
  if (paddedLeft === paddedRight) return 0;
  return paddedLeft < paddedRight ? -1 : 1;
}

/**
 * Whether what is stored (`existing`) comes from a later event than the one being handled
 * (`incoming`). When either is unknown the answer is no: without a sequencer there is
 * nothing to order by, and the event is handled (it reads the object as it is now anyway).
 */
export function isNewerThan(existing: string | undefined, incoming: string | undefined): boolean {
  const stored = normalizeSequencer(existing);
  const current = normalizeSequencer(incoming);
  if (stored === undefined || current === undefined) return false;
  return compareSequencers(stored, current) > 0;
}

import { describe, expect, it } from 'vitest';
import { compareSequencers, isNewerThan, normalizeSequencer } from '../../../../shared/images/sequencer.ts';

describe('compareSequencers', () => {
  it.each([
    ['0055AED6DCD90281E5', '0055AED6DCD90281E6', -1],
    ['0055AED6DCD90281E6', '0055AED6DCD90281E5', 1],
    ['0055AED6DCD90281E5', '0055AED6DCD90281E5', 0],
    // Different lengths: left-padded with zeros before comparing (AWS's rule).
    ['FF', '0100', -1],
    ['100', 'FF', 1],
    ['00FF', 'FF', 0],
    // Case does not matter in hex.
    ['0055aed6dcd90281e5', '0055AED6DCD90281E5', 0],
    ['9', 'A', -1],
  ])('%s vs %s → %i', (a, b, expected) => {
    expect(Math.sign(compareSequencers(a, b))).toBe(expected);
  });

  it('throws on something that is not hex', () => {
    expect(() => compareSequencers('xyz', '01')).toThrow(TypeError);
  });
});

describe('isNewerThan', () => {
  it('is true only when the stored sequencer is later than the incoming one', () => {
    expect(isNewerThan('0055AED6DCD90281E6', '0055AED6DCD90281E5')).toBe(true);
    expect(isNewerThan('0055AED6DCD90281E5', '0055AED6DCD90281E5')).toBe(false);
    expect(isNewerThan('0055AED6DCD90281E4', '0055AED6DCD90281E5')).toBe(false);
    expect(isNewerThan('0100', 'FF')).toBe(true);
  });

  it('is false when either side is unknown or malformed', () => {
    expect(isNewerThan(undefined, '01')).toBe(false);
    expect(isNewerThan('01', undefined)).toBe(false);
    expect(isNewerThan('not-hex', '01')).toBe(false);
  });
});

describe('normalizeSequencer', () => {
  it('upper-cases valid hex and drops anything else', () => {
    expect(normalizeSequencer(' 0055aed6 ')).toBe('0055AED6');
    expect(normalizeSequencer('')).toBeUndefined();
    expect(normalizeSequencer('12g4')).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { endsLine, LineBreakCounter, lineBreaksIn } from '../../../../shared/inventory/csv-lines.ts';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('endsLine', () => {
  it('ends a line at a CR, and at an LF unless it completes a CRLF', () => {
    // Act
    const verdicts = [endsLine(0x0d, -1), endsLine(0x0a, 0x0d), endsLine(0x0a, 0x61), endsLine(0x61, 0x0d)];

    // Assess
    expect(verdicts).toEqual([true, false, true, false]);
  });
});

describe('lineBreaksIn', () => {
  it.each([
    ['no break', 'pear', 0],
    ['LF', 'a\nb', 1],
    ['CRLF', 'a\r\nb', 1],
    ['CR', 'a\rb', 1],
    ['LF then CR', 'a\n\rb', 2],
    ['mixed', '\r\n\r\n\n\r', 4],
  ])('counts %s', (_name, text, expected) => {
    // Act
    const breaks = lineBreaksIn(text);

    // Assess
    expect(breaks).toBe(expected);
  });
});

describe('LineBreakCounter', () => {
  it('counts a CRLF split between two chunks once', () => {
    // Prepare
    const counter = new LineBreakCounter();

    // Act
    counter.push(bytes('a\r'));
    const beforeLf = counter.breaks;
    counter.push(bytes('\nb\rc\n'));

    // Assess
    expect(beforeLf).toBe(1);
    expect(counter.breaks).toBe(3);
  });

  it('peeks at the breaks of the next bytes without counting them', () => {
    // Prepare
    const counter = new LineBreakCounter();
    counter.push(bytes('x\r'));

    // Act
    const peeked = counter.peek(bytes('\n\n'));

    // Assess
    expect(peeked).toBe(1);
    expect(counter.breaks).toBe(1);
  });
});

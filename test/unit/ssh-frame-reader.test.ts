import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameReader, type FrameProgress } from '../../src/ssh/frame-reader.js';
import { OutputCollector, outputCap } from '../../src/ssh/output-limit.js';
import { formatBytes } from '../../src/text/format.js';

const NEEDLE = Buffer.from('\nmc-end-0123456789abcdef01234567 ');

/** Feeds `packets` one at a time; returns the first outcome that is not 'more', and how many packets it took. */
function feed(reader: FrameReader, packets: readonly Buffer[]): { progress: FrameProgress; used: number } {
  for (let i = 0; i < packets.length; i++) {
    const progress = reader.push(packets[i]!);
    if (progress !== 'more') return { progress, used: i + 1 };
  }
  return { progress: 'more', used: packets.length };
}

/** Cuts `data` into packets of `size` bytes. */
function packets(data: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < data.length; at += size) out.push(data.subarray(at, at + size));
  return out;
}

describe('FrameReader', () => {
  it('reads a 2 MiB frame sent 7 bytes at a time, the marker split across packets', () => {
    const body = Buffer.from(Array.from({ length: 2 * 1024 * 1024 }, (_, i) => 32 + (i % 90)));
    const stream = Buffer.concat([body, NEEDLE, Buffer.from('17\nleftover')]);
    const { progress, used } = feed(new FrameReader(NEEDLE, 16 * 1024 * 1024, true), packets(stream, 7));
    expect(progress).not.toBe('over');
    if (typeof progress === 'string') throw new Error('the frame did not end');
    expect(progress.trailer).toBe('17');
    expect(progress.output.equals(body)).toBe(true);
    expect(used).toBe(Math.ceil((body.length + NEEDLE.length + 3) / 7));
  });

  it('finds the marker wherever the packets are cut (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 40 }), (raw, cuts) => {
        // Output that holds the marker's prefix but never the whole marker.
        const body = Buffer.concat([Buffer.from(raw), NEEDLE.subarray(0, NEEDLE.length - 1)]);
        const stream = Buffer.concat([body, NEEDLE, Buffer.from('0\n')]);
        const chunks: Buffer[] = [];
        let at = 0;
        for (let i = 0; at < stream.length; i++) {
          const size = cuts[i % cuts.length]!;
          chunks.push(stream.subarray(at, at + size));
          at += size;
        }
        const { progress } = feed(new FrameReader(NEEDLE, 1 << 20, true), chunks);
        if (typeof progress === 'string') return false;
        return progress.output.equals(body) && progress.trailer === '0';
      }),
      { numRuns: 500 },
    );
  });

  it('gives up past its cap, before the marker ever comes, and keeps nothing', () => {
    const reader = new FrameReader(NEEDLE, 1024 * 1024, true);
    const { progress, used } = feed(reader, packets(Buffer.alloc(2 * 1024 * 1024, 'x'), 100));
    expect(progress).toBe('over');
    expect(used).toBe(Math.ceil((1024 * 1024 + 1) / 100));
  });

  it('ends on a marker that holds its own newline, with no trailer', () => {
    const needle = Buffer.from('\nmc-end-x\n');
    expect(new FrameReader(needle, 100, false).push(Buffer.from('err text\nmc-end-x\n'))).toEqual({ output: Buffer.from('err text'), trailer: '' });
  });
});

describe('output caps', () => {
  it('the default is 16 MiB, a cap is never above 256 MiB, and sizes read as people write them', () => {
    expect(outputCap(undefined)).toBe(16 * 1024 * 1024);
    expect(outputCap(1000)).toBe(1000);
    expect(outputCap(Number.NaN)).toBe(16 * 1024 * 1024);
    expect(outputCap(2 ** 40)).toBe(256 * 1024 * 1024);
    expect([formatBytes(16 * 1024 * 1024), formatBytes(64 * 1024), formatBytes(1000)]).toEqual(['16 MiB', '64 KiB', '1000 bytes']);
  });

  it('counts stdout and stderr against one cap', () => {
    const output = new OutputCollector(10);
    expect(output.add('stdout', Buffer.from('12345'))).toBe(true);
    expect(output.add('stderr', Buffer.from('67890'))).toBe(true);
    expect([output.text('stdout'), output.text('stderr')]).toEqual(['12345', '67890']);
    expect(output.add('stdout', Buffer.from('!'))).toBe(false);
    expect(output.over).toBe(true);
    expect(output.text('stdout')).toBe('');
  });
});

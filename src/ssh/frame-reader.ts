/**
 * Finds the end-of-frame marker in a stream that arrives in packets, in linear time: packets are kept as a list
 * (joined once, when the frame ends) and each is searched once, with only the last few bytes of the one before
 * carried over, so a marker split across packets is still found. Past a byte cap the frame is given up.
 */

/** The end of a frame: what came before the marker, and the rest of the marker's line. */
export interface FrameEnd {
  readonly output: Buffer;
  /** Between the marker and the end of its line (e.g. the exit status); empty when the marker holds its own newline. */
  readonly trailer: string;
}

/** What one packet did: the frame ended, more is needed, or the output passed the cap. */
export type FrameProgress = FrameEnd | 'more' | 'over';

/** Reads one frame. Make a new one per frame. */
export class FrameReader {
  readonly #needle: Buffer;
  readonly #limit: number;
  readonly #untilNewline: boolean;
  #chunks: Buffer[] = [];
  #length = 0;
  /** The last bytes seen (fewer than the needle), where a marker may have begun. */
  #carry: Buffer = Buffer.alloc(0);
  /** Once the marker is found: the output, and what followed the marker so far. */
  #found: { output: Buffer; rest: Buffer } | undefined;

  constructor(
    needle: Buffer,
    /** The most output allowed before the marker, in bytes. */
    limit: number,
    /** True when the marker is followed by a trailer ending with a newline. */
    untilNewline: boolean,
  ) {
    this.#needle = needle;
    this.#limit = limit;
    this.#untilNewline = untilNewline;
  }

  /** Takes one packet. */
  push(data: Buffer): FrameProgress {
    if (this.#found) {
      this.#found.rest = Buffer.concat([this.#found.rest, data]);
      return this.#trailer();
    }
    const start = this.#length - this.#carry.length;
    // A marker that began in earlier packets: search the carried bytes plus just enough of this packet.
    const seam = Buffer.concat([this.#carry, data.subarray(0, this.#needle.length - 1)]);
    let at = seam.indexOf(this.#needle);
    if (at >= 0) at += start;
    else {
      const inside = data.indexOf(this.#needle);
      if (inside >= 0) at = this.#length + inside;
    }
    this.#chunks.push(data);
    this.#length += data.length;
    if (at < 0) {
      if (this.#length > this.#limit) return this.#giveUp();
      const keep = Math.min(this.#needle.length - 1, this.#length);
      this.#carry = keep <= data.length ? data.subarray(data.length - keep) : seam.subarray(seam.length - keep);
      return 'more';
    }
    if (at > this.#limit) return this.#giveUp();
    const all = Buffer.concat(this.#chunks, this.#length);
    this.#chunks = [];
    this.#found = { output: all.subarray(0, at), rest: all.subarray(at + this.#needle.length) };
    return this.#trailer();
  }

  #trailer(): FrameProgress {
    const found = this.#found!;
    if (!this.#untilNewline) return { output: found.output, trailer: '' };
    const end = found.rest.indexOf(0x0a);
    if (end < 0) return found.rest.length > 64 ? this.#giveUp() : 'more';
    return { output: found.output, trailer: found.rest.subarray(0, end).toString('latin1') };
  }

  #giveUp(): 'over' {
    this.#chunks = [];
    this.#found = undefined;
    return 'over';
  }
}

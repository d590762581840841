const LF = 0x0a;
const CR = 0x0d;
/** `data:` as bytes. */
const DATA = [0x64, 0x61, 0x74, 0x61, 0x3a] as const;

/**
 * A bounded Server-Sent Events splitter for upstream streams: feed it bytes, get back complete events' `data`
 * payloads. Lines longer than `maxLine` bytes (a hostile or broken upstream) raise instead of growing without bound.
 *
 * It works on bytes: CR and LF never occur inside a multi-byte UTF-8 sequence, so lines are found with `indexOf` on
 * the chunk and only the payload of a `data:` line is decoded, whole, once. No decoder keeps state between chunks,
 * and comments and other fields are skipped without being decoded. Invalid UTF-8 becomes U+FFFD, as with
 * `TextDecoder`; a byte order mark at the start of the stream is dropped, as the SSE standard says.
 */
export class SseSplitter {
  /** The start of a line that has not ended yet, in the chunks it came in. */
  private partial: Buffer[] = [];
  private partialBytes = 0;
  private data: string[] = [];
  /** The last line ended with CR: an LF first in the next chunk is the rest of that CRLF. */
  private afterCr = false;
  /** Whether the stream's first bytes have been checked for a byte order mark. */
  private started = false;

  constructor(private readonly maxLine = 1 << 20) {}

  /** Complete events' data fields (multi-line data joined by '\n'), in order. */
  push(bytes: Uint8Array): string[] {
    let chunk = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (!this.started) {
      // Hold the stream's first bytes until three are in, to tell whether they are EF BB BF.
      if (this.partialBytes + chunk.length < 3) {
        this.keep(chunk);
        return [];
      }
      this.started = true;
      if (this.partialBytes > 0) {
        chunk = Buffer.concat([...this.partial, chunk]);
        this.partial = [];
        this.partialBytes = 0;
      }
      if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) chunk = chunk.subarray(3);
    }
    const out: string[] = [];
    let pos = 0;
    if (this.afterCr && chunk.length > 0) {
      if (chunk[0] === LF) pos = 1;
      this.afterCr = false;
    }
    let lf = chunk.indexOf(LF, pos);
    let cr = chunk.indexOf(CR, pos);
    while (lf !== -1 || cr !== -1) {
      const end = cr === -1 || (lf !== -1 && lf < cr) ? lf : cr;
      this.line(chunk, pos, end, out);
      pos = end + 1;
      if (end === cr) {
        if (pos === chunk.length) this.afterCr = true;
        else if (chunk[pos] === LF) pos++;
        cr = chunk.indexOf(CR, pos);
      }
      if (lf !== -1 && lf < pos) lf = chunk.indexOf(LF, pos);
    }
    if (pos < chunk.length) this.keep(chunk.subarray(pos));
    return out;
  }

  /** Whatever event was still open when the stream ended (a stream that stopped midway), if any. */
  end(): string | undefined {
    if (this.partialBytes > 0) {
      const rest = Buffer.concat(this.partial);
      this.partial = [];
      this.partialBytes = 0;
      const bom = !this.started && rest[0] === 0xef && rest[1] === 0xbb && rest[2] === 0xbf ? 3 : 0;
      this.field(rest, bom, rest.length);
    }
    this.started = true;
    const open = this.data.length > 0 ? this.data.join('\n') : undefined;
    this.data = [];
    return open;
  }

  /** Keeps the start of an unfinished line, within the bound. */
  private keep(bytes: Buffer): void {
    this.partialBytes += bytes.length;
    this.bound(this.partialBytes);
    // A copy: the chunk's memory may be reused once the caller has it back.
    this.partial.push(Buffer.from(bytes));
  }

  /** Handles the line that ends at `chunk[end]` (and began in earlier chunks, if any are held). */
  private line(chunk: Buffer, start: number, end: number, out: string[]): void {
    this.bound(this.partialBytes + end - start);
    let buf = chunk;
    if (this.partialBytes > 0) {
      buf = Buffer.concat([...this.partial, chunk.subarray(start, end)]);
      this.partial = [];
      this.partialBytes = 0;
      start = 0;
      end = buf.length;
    }
    if (start === end) {
      if (this.data.length > 0) out.push(this.data.join('\n'));
      this.data = [];
      return;
    }
    this.field(buf, start, end);
  }

  /** Refuses a line of `bytes` over the bound. */
  private bound(bytes: number): void {
    if (bytes > this.maxLine) throw new Error(`an SSE line is over ${this.maxLine} bytes`);
  }

  /** Reads one non-empty line: a `data:` field is kept; comments, event:, id: and retry: carry nothing forwarded. */
  private field(buf: Buffer, start: number, end: number): void {
    if (end - start < DATA.length) return;
    for (let k = 0; k < DATA.length; k++) if (buf[start + k] !== DATA[k]) return;
    const from = start + DATA.length + (buf[start + DATA.length] === 0x20 ? 1 : 0);
    this.data.push(buf.toString('utf8', from, end));
  }
}

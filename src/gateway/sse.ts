/**
 * A bounded Server-Sent Events splitter for upstream streams: feed it bytes, get back complete events' `data`
 * payloads. Lines longer than `maxLine` (a hostile or broken upstream) raise instead of growing without bound.
 */
export class SseSplitter {
  private buf = '';
  private data: string[] = [];
  /** Characters of `buf` already known to hold no line end (so a long line in tiny chunks is scanned once). */
  private scanned = 0;
  private readonly decoder = new TextDecoder('utf-8');

  constructor(private readonly maxLine = 1 << 20) {}

  /** Complete events' data fields (multi-line data joined by '\n'), in order. */
  push(chunk: Uint8Array): string[] {
    this.buf += this.decoder.decode(chunk, { stream: true });
    const out: string[] = [];
    const buf = this.buf;
    let pos = 0;
    for (;;) {
      let nl = Math.max(pos, this.scanned);
      this.scanned = 0;
      while (nl < buf.length && buf[nl] !== '\n' && buf[nl] !== '\r') nl++;
      // A '\r' that ends the buffer may be the first half of '\r\n': wait for the next byte to tell.
      if (nl >= buf.length || (nl === buf.length - 1 && buf[nl] === '\r')) break;
      const line = buf.slice(pos, nl);
      pos = nl + (buf[nl] === '\r' && buf[nl + 1] === '\n' ? 2 : 1);
      if (line === '') {
        if (this.data.length > 0) out.push(this.data.join('\n'));
        this.data = [];
      } else if (line.startsWith('data:')) {
        this.data.push(line.slice(line[5] === ' ' ? 6 : 5));
      }
      // Comments (':'), event:, id: and retry: lines carry nothing the gateway forwards.
    }
    this.buf = buf.slice(pos);
    this.scanned = Math.max(0, this.buf.length - 1);
    if (this.buf.length > this.maxLine) throw new Error(`an SSE line is over ${this.maxLine} characters`);
    return out;
  }

  /** Whatever event was still open when the stream ended (a stream that stopped midway), if any. */
  end(): string | undefined {
    this.buf += this.decoder.decode();
    const rest = this.buf.replace(/\r$/, '');
    this.buf = '';
    if (rest.startsWith('data:')) this.data.push(rest.slice(rest[5] === ' ' ? 6 : 5));
    const open = this.data.length > 0 ? this.data.join('\n') : undefined;
    this.data = [];
    return open;
  }
}

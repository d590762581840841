import { BufferBlob, type Blob } from '../blob.js';
import type { ScanContext } from '../context.js';
import { HEAD_BYTES } from '../detect.js';
import { walkPickleStream } from '../pickle/scan-pickle.js';
import { looksLikePickle } from '../pickle/sniff.js';
import type { ScanFormat } from '../types.js';
import { BombError, collect, decompress, firstBytes, withBudget, type Compression } from './inflate.js';

/**
 * A single compressed stream (gzip, zlib, bzip2, xz, lzma — joblib's compressors and `.gz` downloads). A pickle
 * inside is walked as it streams out; anything else is decompressed into memory up to the limit and scanned by
 * format detection.
 */
export function compressedScanner(kind: Compression, format: ScanFormat) {
  return async (blob: Blob, ctx: ScanContext): Promise<ScanFormat> => {
    const inner = `(${format} content)`;
    try {
      const head = await firstBytes(decompress(kind, blob, ctx.limits.maxInMemoryBytes), HEAD_BYTES);
      if (looksLikePickle(head)) {
        const child = ctx.child(inner);
        await walkPickleStream(budgeted(decompress(kind, blob, ctx.limits.maxTotalInflated), ctx), child);
        return format;
      }
      const bytes = await collect(budgeted(decompress(kind, blob, ctx.limits.maxInMemoryBytes), ctx));
      await ctx.scanMember(inner, new BufferBlob(bytes));
    } catch (err) {
      if (err instanceof BombError) {
        const big = err.limit === ctx.limits.maxInMemoryBytes;
        ctx.report(
          big ? 'archive-member-too-large' : 'archive-bomb',
          big ? `${format} content is over ${err.limit} bytes and not a pickle; not analysed` : `${format} content expands beyond ${err.limit} bytes`,
        );
      } else {
        ctx.report('archive-malformed', `${format} stream is corrupt: ${(err as Error).message}`);
      }
    }
    return format;
  };
}

function budgeted(chunks: AsyncIterable<Uint8Array>, ctx: ScanContext): AsyncGenerator<Uint8Array> {
  return withBudget(chunks, (n) => ctx.spend(n), ctx.limits.maxTotalInflated);
}

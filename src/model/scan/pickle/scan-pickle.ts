import { CHUNK_SIZE, type Blob } from '../blob.js';
import type { ScanContext } from '../context.js';
import type { ScanFormat } from '../types.js';
import { PickleWalker, type WalkSummary } from './walker.js';

function walkerFor(ctx: ScanContext, baseOffset = 0, single = false): PickleWalker {
  return new PickleWalker({
    policy: ctx.policy,
    limits: ctx.limits,
    baseOffset,
    single,
    report: (rule, message, loc) => ctx.report(rule, message, loc),
  });
}

/**
 * Walks the pickle stream(s) of a blob from `offset`, seeking past large payloads instead of reading them, so a
 * pickle of any size costs what its opcodes cost.
 */
export async function walkPickleBlob(blob: Blob, ctx: ScanContext, offset = 0, single = false): Promise<WalkSummary> {
  // Offsets in findings count from the start of the blob.
  const w = walkerFor(ctx, offset, single);
  let pos = offset;
  while (pos < blob.size && !w.done) {
    const skip = w.skippable;
    if (skip > 0) {
      const n = Math.min(skip, blob.size - pos);
      w.skipped(n);
      pos += n;
      continue;
    }
    const chunk = await blob.read(pos, CHUNK_SIZE);
    if (chunk.length === 0) break;
    pos += chunk.length;
    w.feed(chunk);
  }
  return w.end();
}

/** Walks a pickle delivered as a stream of chunks (a decompressed member); payloads are skipped as they pass. */
export async function walkPickleStream(chunks: AsyncIterable<Uint8Array>, ctx: ScanContext): Promise<WalkSummary> {
  const w = walkerFor(ctx);
  for await (const chunk of chunks) {
    w.feed(chunk);
    if (w.done) break;
  }
  return w.end();
}

/** The format a walked pickle turned out to be. */
export function pickleFormat(s: WalkSummary): ScanFormat {
  if (s.torchLegacy) return 'pytorch-legacy';
  if (s.joblib) return 'joblib';
  return 'pickle';
}

/** Scanner for a file or member detected as a pickle. */
export async function scanPickle(blob: Blob, ctx: ScanContext): Promise<ScanFormat> {
  return pickleFormat(await walkPickleBlob(blob, ctx));
}

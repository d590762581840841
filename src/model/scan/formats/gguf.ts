import { SliceBlob, type Blob } from '../blob.js';
import type { ScanContext } from '../context.js';
import type { ScanFormat } from '../types.js';
import { FindingBudget, quoteName } from './finding-budget.js';
import { readMetadata, type HeaderEnv } from './gguf-metadata.js';
import { GgufStop, HeaderCursor, HeaderEndError } from './gguf-reader.js';
import { checkLayout, readTensorInfos } from './gguf-tensors.js';
import { findTemplateInjection } from './gguf-template.js';
import { alignUp } from './gguf-types.js';

const MAGIC = [0x47, 0x47, 0x55, 0x46]; // "GGUF": written as bytes, so the same in either byte order
// "FUGG": the magic written as a big-endian u32, which gguf-py's reader also accepts as a big-endian file.
const MAGIC_SWAPPED = [0x46, 0x55, 0x47, 0x47];
const KNOWN_VERSIONS = new Set([1, 2, 3]);

/**
 * Checks a GGUF file's header counts and lengths against the file, and its chat template.
 *
 * Layout (ggml-org/ggml docs/gguf.md): magic, u32 version, tensor count, key-value count, the key-value pairs,
 * the tensor infos, padding to `general.alignment`, then tensor data. Counts and lengths are u32 in v1 and u64
 * from v2 on; a big-endian file (v3 allows one) shows its version byte-swapped, as llama.cpp notices. Only the
 * header is read, window by window; every declared count and length is compared with the bytes that remain
 * before it is used, so a declared 2^60 allocates nothing. Tensor data is never read; data after the last tensor
 * is handed back to format detection, as a polyglot's second file would be.
 */
export async function scanGguf(blob: Blob, ctx: ScanContext): Promise<ScanFormat> {
  const out = new FindingBudget(ctx);
  try {
    await scanHeader(blob, ctx, out);
  } catch (err) {
    if (err instanceof HeaderEndError) {
      out.report('gguf-truncated', `file ends inside a header field at byte ${err.offset}; the rest of the header was not checked`, { offset: err.offset });
    } else if (!(err instanceof GgufStop)) throw err;
  } finally {
    out.flush();
  }
  return 'gguf';
}

async function scanHeader(blob: Blob, ctx: ScanContext, out: FindingBudget): Promise<void> {
  const head = await blob.read(0, 8);
  const swappedMagic = MAGIC_SWAPPED.every((b, i) => head[i] === b);
  if (!swappedMagic && !MAGIC.every((b, i) => head[i] === b)) {
    out.report('gguf-malformed-header', 'file does not start with the GGUF magic', { offset: 0 });
    return;
  }
  if (head.length < 8) {
    out.report('gguf-truncated', 'file ends before the GGUF version field', { offset: head.length });
    return;
  }
  const view = new DataView(head.buffer, head.byteOffset, 8);
  const le = view.getUint32(4, true);
  const be = view.getUint32(4, false);
  const littleEndian = !swappedMagic && (KNOWN_VERSIONS.has(le) || !KNOWN_VERSIONS.has(be));
  const version = littleEndian ? le : be;
  if (!KNOWN_VERSIONS.has(version)) {
    out.report('gguf-unsupported-version', `GGUF version ${le} (0x${le.toString(16)}) is not 1, 2 or 3; the header was not interpreted`, { offset: 4 });
    return;
  }

  const cur = new HeaderCursor(blob, littleEndian, version === 1 ? 4 : 8, 8);
  const tensorCount = await cur.size();
  const kvCount = await cur.size();
  checkCounts(cur, tensorCount, kvCount, out);

  const env: HeaderEnv = {
    out,
    ctx,
    limit: ctx.limits.maxMetadataBytes,
    onTemplate: (key, text, at) => checkTemplate(key, text, at, out),
  };
  const alignment = await readMetadata(cur, kvCount, env);
  const infos = await readTensorInfos(cur, tensorCount, env);
  if (infos === undefined) return;
  const dataStart = alignUp(cur.pos, alignment);
  const trailing = checkLayout(infos, dataStart, alignment, blob.size, out);
  if (trailing !== undefined) {
    await ctx.scanMember(`[data after the last tensor, offset ${trailing}]`, new SliceBlob(blob, trailing, blob.size - trailing));
  }
}

/**
 * The smallest a key-value pair can be is a length, an empty key, a type and a 1-byte value; a tensor info, a
 * length, an empty name, n_dims, type and offset. Counts that could not fit are the llama.cpp CVEs where the
 * reader allocated for the declared count first (CVE-2024-23605: n_kv; CVE-2024-21836: n_tensors).
 */
function checkCounts(cur: HeaderCursor, tensorCount: number, kvCount: number, out: FindingBudget): void {
  const left = cur.remaining();
  const minKv = cur.sizeWidth + 4 + 1;
  const minTensor = cur.sizeWidth + 4 + 4 + 8;
  if (kvCount * minKv > left) {
    out.report(
      'gguf-count-out-of-bounds',
      `header declares ${kvCount} metadata pairs, which need at least ${kvCount * minKv} bytes, but ${left} are left (CVE-2024-23605)`,
      { offset: 8 + cur.sizeWidth },
    );
    throw new GgufStop();
  }
  if (tensorCount * minTensor > left - kvCount * minKv) {
    out.report(
      'gguf-count-out-of-bounds',
      `header declares ${tensorCount} tensors, which need at least ${tensorCount * minTensor} bytes, but ${left} are left (CVE-2024-21836)`,
      { offset: 8 },
    );
    throw new GgufStop();
  }
}

function checkTemplate(key: string, text: string, at: number, out: FindingBudget): void {
  const reasons = findTemplateInjection(text);
  if (reasons.length === 0) return;
  const shown = reasons.slice(0, 4).join(', ') + (reasons.length > 4 ? ` and ${reasons.length - 4} more` : '');
  out.report(
    'gguf-chat-template-injection',
    `${quoteName(key)} reaches Python internals (${shown}); rendering it outside a Jinja sandbox runs code when the model is loaded for chat (CVE-2024-34359)`,
    { offset: at },
  );
}

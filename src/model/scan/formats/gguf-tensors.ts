import { quoteName, type FindingBudget } from './finding-budget.js';
import { checkLimit, readString, type HeaderEnv } from './gguf-metadata.js';
import { GgufStop, type HeaderCursor } from './gguf-reader.js';
import { alignUp, GGML_TYPES } from './gguf-types.js';

/** `GGML_MAX_NAME` is 64 bytes including the terminating NUL. */
const MAX_NAME_BYTES = 63;
/** `GGML_MAX_DIMS`. */
const MAX_DIMS = 4;
/** Tensor infos kept for the layout check; real models have at most tens of thousands. */
const MAX_TRACKED_TENSORS = 1_000_000;

const INT64_LIMIT = 1n << 63n;
const U64_LIMIT = 1n << 64n;

/** One tensor info, with its byte size when it could be computed. */
export interface TensorInfo {
  readonly name: string;
  /** File offset of the info, for findings. */
  readonly at: number;
  /** Offset of the data, relative to the start of the data section. */
  readonly offset: bigint;
  readonly bytes: bigint | undefined;
}

/**
 * Reads `count` tensor infos (docs/gguf.md `gguf_tensor_info_t`: name, n_dims, dims, type, offset), checking each
 * the way llama.cpp's `gguf_init_from_reader` now does. Returns the infos whose layout can be checked, or undefined
 * when there are too many to keep.
 */
export async function readTensorInfos(cur: HeaderCursor, count: number, env: HeaderEnv): Promise<TensorInfo[] | undefined> {
  const { out } = env;
  const infos: TensorInfo[] = [];
  const names = new Set<string>();
  for (let i = 0; i < count; i++) {
    checkLimit(cur, env);
    const at = cur.pos;
    const { text: name, length } = await readString(cur, MAX_NAME_BYTES + 1, env, `name of tensor ${i}`);
    const label = quoteName(name);
    if (length > MAX_NAME_BYTES) {
      out.report('gguf-malformed-header', `tensor ${i} name is ${length} bytes; llama.cpp accepts at most ${MAX_NAME_BYTES}`, { offset: at });
    } else if (names.has(name)) {
      out.report('gguf-duplicate-name', `tensor name ${label} appears more than once; loaders disagree on which copy is used`, { offset: at });
    } else if (names.size < MAX_TRACKED_TENSORS) names.add(name);

    const dims = await readDims(cur, label, env);
    const typeAt = cur.pos;
    const type = await cur.u32();
    const offset = await cur.u64();
    const bytes = dims === undefined ? undefined : tensorBytes(label, dims, type, typeAt, out);
    if (infos.length < MAX_TRACKED_TENSORS) infos.push({ name, at, offset, bytes });
  }
  if (count > MAX_TRACKED_TENSORS) {
    env.ctx.report('scan-incomplete', `GGUF header lists ${count} tensors; the layout of only the first ${MAX_TRACKED_TENSORS} was checked`, { offset: 8 });
    return undefined;
  }
  return infos;
}

/** n_dims and the dimensions; undefined when they are unusable (already reported). */
async function readDims(cur: HeaderCursor, label: string, env: HeaderEnv): Promise<bigint[] | undefined> {
  const at = cur.pos;
  const nDims = await cur.u32();
  if (nDims > MAX_DIMS) {
    env.out.report(
      'gguf-tensor-bad-shape',
      `tensor ${label} declares ${nDims} dimensions; ggml has room for ${MAX_DIMS} and readers that copy them all overflow (CVE-2024-21802)`,
      { offset: at },
    );
    if (nDims * cur.sizeWidth > cur.remaining()) {
      env.out.report('gguf-length-out-of-bounds', `tensor ${label}: ${nDims} dimensions run past the end of the file`, { offset: at });
      throw new GgufStop();
    }
    cur.skip(nDims * cur.sizeWidth);
    return undefined;
  }
  const dims: bigint[] = [];
  let negative = false;
  for (let j = 0; j < nDims; j++) {
    // Dimensions are u32 in GGUF v1 and int64 (read as u64 here) from v2 on.
    const d = cur.sizeWidth === 4 ? BigInt(await cur.u32()) : await cur.u64();
    if (d >= INT64_LIMIT) negative = true;
    dims.push(d);
  }
  if (negative) {
    env.out.report('gguf-tensor-bad-shape', `tensor ${label} has a negative dimension [${dims.map(signed).join(', ')}]`, { offset: at });
    return undefined;
  }
  return dims;
}

/** Byte size per ggml: whole blocks per row × rows; reports unknown types and overflows (CVE-2025-53630). */
function tensorBytes(label: string, dims: bigint[], type: number, typeAt: number, out: FindingBudget): bigint | undefined {
  const t = GGML_TYPES.get(type);
  if (t === undefined) {
    out.report('gguf-tensor-unknown-type', `tensor ${label} has ggml type ${type}, which current ggml cannot load; its size was not checked`, { offset: typeAt });
    return undefined;
  }
  const [ne0 = 1n, ...rest] = dims;
  const elements = dims.reduce((a, b) => a * b, 1n);
  if (elements >= INT64_LIMIT) {
    out.report('gguf-tensor-bad-shape', `tensor ${label} shape [${dims.join(', ')}] has ${elements} elements, more than int64 holds; size arithmetic wraps around`, {
      offset: typeAt,
    });
    return undefined;
  }
  const block = BigInt(t.blockSize);
  if (ne0 % block !== 0n) {
    out.report('gguf-tensor-bad-shape', `tensor ${label} of type ${t.name} has rows of ${ne0} elements, not a multiple of its ${t.blockSize}-element block`, {
      offset: typeAt,
    });
    return undefined;
  }
  const bytes = rest.reduce((a, b) => a * b, (ne0 / block) * BigInt(t.typeSize));
  if (bytes >= U64_LIMIT) {
    out.report('gguf-tensor-bad-shape', `tensor ${label} needs ${bytes} bytes, more than a 64-bit size holds`, { offset: typeAt });
    return undefined;
  }
  return bytes;
}

function signed(d: bigint): string {
  return (d >= INT64_LIMIT ? d - U64_LIMIT : d).toString();
}

interface Span {
  readonly name: string;
  readonly start: number;
  readonly end: number;
}

/**
 * Checks the tensors against the data section `[dataStart, fileSize)`: inside the file, aligned, not sharing bytes,
 * no unexplained gaps. Returns the file offset where unexplained trailing data starts, if any.
 */
export function checkLayout(infos: readonly TensorInfo[], dataStart: number, alignment: number, fileSize: number, out: FindingBudget): number | undefined {
  const spans: Span[] = [];
  let sizesKnown = true;
  const align = BigInt(alignment);
  for (const info of infos) {
    if (info.bytes === undefined) {
      sizesKnown = false;
      continue;
    }
    const label = quoteName(info.name);
    if (info.offset % align !== 0n) {
      out.report('gguf-tensor-misaligned', `tensor ${label} starts at data offset ${info.offset}, not a multiple of the alignment ${alignment}`, { offset: info.at });
    }
    const start = BigInt(dataStart) + info.offset;
    const end = start + info.bytes;
    if (end > BigInt(fileSize)) {
      out.report(
        'gguf-tensor-out-of-bounds',
        `tensor ${label} occupies bytes [${start}, ${end}) but the file ends at ${fileSize}; a loader trusting the header reads out of bounds`,
        { offset: info.at },
      );
    }
    // The part inside the file still counts as covered, so a truncated file is not also "trailing data".
    if (info.bytes > 0n && start < BigInt(fileSize)) spans.push({ name: info.name, start: Number(start), end: Math.min(Number(end), fileSize) });
  }
  spans.sort((a, b) => a.start - b.start || a.end - b.end);
  let cursor = dataStart;
  let owner: Span | undefined;
  for (const s of spans) {
    if (owner !== undefined && s.start < cursor) {
      out.report('gguf-tensor-overlap', `tensors ${quoteName(owner.name)} and ${quoteName(s.name)} share bytes [${s.start}, ${Math.min(cursor, s.end)})`, { offset: s.start });
    } else if (sizesKnown && s.start > dataStart + alignUp(cursor - dataStart, alignment)) {
      out.report('gguf-tensor-gap', `bytes [${cursor}, ${s.start}) of the data section belong to no tensor (${s.start - cursor} bytes not analysed)`, { offset: cursor });
    }
    if (s.end > cursor) {
      cursor = s.end;
      owner = s;
    }
  }
  // With a tensor of unknown size, bytes after the known ones may be its data: no gap or trailing verdict.
  if (!sizesKnown) return undefined;
  const end = dataStart + alignUp(cursor - dataStart, alignment);
  if (fileSize <= end) return undefined;
  out.report('gguf-trailing-data', `${fileSize - end} bytes follow the last tensor and its padding (from offset ${end}); scanned as a separate file`, { offset: end });
  return end;
}

import { isUtf8 } from 'node:buffer';
import { SliceBlob, type Blob } from '../blob.js';
import type { ScanContext } from '../context.js';
import type { ScanFormat } from '../types.js';
import { FindingBudget, quoteName } from './finding-budget.js';
import { checkTensorEntry, type Span } from './safetensors-entry.js';
import { isJsonObject, JsonSyntaxError, parseStrictJsonMembers, type JsonValue } from './safetensors-json.js';

/** `MAX_HEADER_SIZE` of the reference reader (safetensors/src/tensor.rs): larger headers are refused. */
export const SPEC_MAX_HEADER = 100_000_000;

const METADATA_KEY = '__metadata__';

/**
 * Validates a safetensors file's header against the bytes that exist.
 *
 * Layout (safetensors README, "Format"): an unsigned little-endian u64 N, N bytes of UTF-8 JSON (a map from tensor
 * name to `{dtype, shape, data_offsets}` plus an optional `__metadata__` str→str map), then the data buffer, which
 * the tensors must cover exactly. Only the 8 + N header bytes are read; tensor data never is. The one exception is
 * data past the last tensor, which no valid file has: it is handed back to format detection as a member, because
 * that is where a polyglot keeps its second file.
 */
export async function scanSafetensors(blob: Blob, ctx: ScanContext): Promise<ScanFormat> {
  const out = new FindingBudget(ctx);
  try {
    await scanHeader(blob, ctx, out);
  } finally {
    out.flush();
  }
  return 'safetensors';
}

async function scanHeader(blob: Blob, ctx: ScanContext, out: FindingBudget): Promise<void> {
  if (blob.size < 8) {
    out.report('safetensors-invalid-header', `file is ${blob.size} bytes, too short for the 8-byte header length`, { offset: 0 });
    return;
  }
  const prefix = await blob.read(0, 8);
  if (prefix.length < 8) throw new Error(`could not read the safetensors header length (got ${prefix.length} of 8 bytes)`);
  const n = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(SPEC_MAX_HEADER)) {
    out.report(
      'safetensors-header-too-large',
      `header length is ${n} bytes, over the format's ${SPEC_MAX_HEADER}-byte limit; a loader without the limit parses whatever it is told (denial of service)`,
      { offset: 0 },
    );
    return;
  }
  const headerLen = Number(n);
  if (headerLen > blob.size - 8) {
    out.report('safetensors-header-out-of-bounds', `header length is ${headerLen} bytes but only ${blob.size - 8} bytes follow it`, { offset: 0 });
    return;
  }
  if (headerLen < 2) {
    out.report('safetensors-invalid-header', `header length is ${headerLen}; even an empty header '{}' needs 2 bytes`, { offset: 0 });
    return;
  }
  if (headerLen > ctx.limits.maxMetadataBytes) {
    // Within the format's limit but over the configured one: unanalysed, not malicious.
    ctx.report('scan-incomplete', `safetensors header is ${headerLen} bytes, over the ${ctx.limits.maxMetadataBytes}-byte metadata limit; tensors not checked`, { offset: 8 });
    return;
  }

  const header = await blob.read(8, headerLen);
  if (header.length < headerLen) throw new Error(`could not read the ${headerLen}-byte safetensors header`);
  const dataStart = 8 + headerLen;
  const dataSize = blob.size - dataStart;
  const spans: Span[] = [];
  // Entries are checked as they are parsed, but their findings are held back until the whole header has parsed:
  // for a header that is not JSON, that one finding says it all. The budget bounds what is held.
  const held: Parameters<ScanContext['report']>[] = [];
  const entryOut = new FindingBudget({ report: (...finding) => void held.push(finding) });
  const parsed = parseHeader(header, out, (name, value) => {
    if (name === METADATA_KEY) {
      checkMetadata(value, entryOut);
      return;
    }
    const span = checkTensorEntry(name, value, dataSize, entryOut);
    if (span !== undefined) spans.push(span);
  });
  if (!parsed) return;
  entryOut.flush();
  for (const finding of held) ctx.report(...finding);
  const uncovered = checkCoverage(spans, dataSize, dataStart, out);
  if (uncovered !== undefined) {
    const at = dataStart + uncovered;
    await ctx.scanMember(`[data after the last tensor, offset ${at}]`, new SliceBlob(blob, at, blob.size - at));
  }
}

/**
 * UTF-8, the leading `{`, strict JSON, duplicate keys; hands each top-level member to `onMember` as it is parsed.
 * Returns whether the header was a well-formed JSON object.
 */
function parseHeader(header: Uint8Array, out: FindingBudget, onMember: (key: string, value: JsonValue) => void): boolean {
  if (!isUtf8(header)) {
    out.report('safetensors-invalid-header', 'header is not valid UTF-8; the reference reader refuses it and lenient readers decode it differently', { offset: 8 });
    return false;
  }
  if (header[0] !== 0x7b) {
    out.report('safetensors-invalid-header', "header does not start with '{' as the format requires", { offset: 8 });
  }
  try {
    const result = parseStrictJsonMembers(header, onMember);
    if (!result.isObject) {
      out.report('safetensors-invalid-header', 'header JSON is not an object', { offset: 8 });
      return false;
    }
    for (const d of result.duplicates) {
      const where = d.path === '' ? 'at the top level' : `inside ${quoteName(d.path)}`;
      out.report(
        'safetensors-duplicate-key',
        `key ${quoteName(d.key)} appears more than once ${where}; JSON parsers disagree on which copy wins, so a loader may read other tensors than a scanner`,
        { offset: 8 + d.offset },
      );
    }
  } catch (err) {
    if (!(err instanceof JsonSyntaxError)) throw err;
    out.report('safetensors-invalid-header', `header is not strict JSON: ${err.message}`, { offset: 8 + err.offset });
    return false;
  }
  return true;
}

function checkMetadata(value: JsonValue, out: FindingBudget): void {
  if (!isJsonObject(value)) {
    out.report('safetensors-bad-metadata', '__metadata__ is not an object of strings', { offset: 8 });
    return;
  }
  const bad = value.entries.filter(([, v]) => typeof v !== 'string').map(([k]) => quoteName(k, 40));
  if (bad.length > 0) {
    const shown = bad.slice(0, 5).join(', ') + (bad.length > 5 ? ` and ${bad.length - 5} more` : '');
    out.report('safetensors-bad-metadata', `__metadata__ values must be strings; ${shown} ${bad.length === 1 ? 'is' : 'are'} not`, { offset: 8 });
  }
}

/**
 * The tensors must tile the data buffer: no shared bytes, no holes, nothing after the last one (README: "The byte
 * buffer needs to be entirely indexed, and cannot contain holes. This prevents the creation of polyglot files.").
 * Returns the buffer offset where uncovered trailing data starts, if there is any.
 */
function checkCoverage(spans: Span[], dataSize: number, dataStart: number, out: FindingBudget): number | undefined {
  const filled = spans.filter((s) => s.end > s.begin).sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let owner: Span | undefined;
  for (const s of filled) {
    if (owner !== undefined && s.begin < cursor) {
      out.report(
        'safetensors-overlapping-tensors',
        `tensors ${quoteName(owner.name)} and ${quoteName(s.name)} share bytes [${s.begin}, ${Math.min(cursor, s.end)}) of the data buffer`,
        { offset: dataStart + s.begin },
      );
    } else if (s.begin > cursor) {
      out.report('safetensors-data-gap', `bytes [${cursor}, ${s.begin}) of the data buffer belong to no tensor (${s.begin - cursor} bytes not analysed)`, {
        offset: dataStart + cursor,
      });
    }
    if (s.end > cursor) {
      cursor = s.end;
      owner = s;
    }
  }
  if (cursor >= dataSize) return undefined;
  const what = filled.length === 0 ? 'no tensor covers any of the data buffer' : `the last tensor ends at data offset ${cursor}`;
  out.report('safetensors-trailing-data', `${what}, but ${dataSize - cursor} more bytes follow; scanned as a separate file`, { offset: dataStart + cursor });
  return cursor;
}

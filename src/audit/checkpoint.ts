import { decodeBase64, formatKeyId } from './note.js';
import { NoteError } from './note-errors.js';

/**
 * C2SP tlog-checkpoint note text (https://c2sp.org/tlog-checkpoint §Note text):
 *
 *     <origin>\n<tree size, decimal>\n<base64 root hash>\n[<extension line>\n ...]
 *
 * Signing and verifying are the signed-note layer's job (note.ts); this module only formats and parses the body
 * that `openNote` returns as `text`.
 *
 * Tree size is a JavaScript number, a safe integer (≤ 2^53 − 1), not a bigint. The spec allows any uint64, and
 * parsing accepts the full uint64 grammar, but a size above 2^53 − 1 is refused as AUDIT_CHECKPOINT_SIZE_UNSUPPORTED
 * rather than rounded. No log comes near it (at 10,000 appends/s it takes 28,000 years), and plain numbers keep the
 * Merkle arithmetic on the hot path cheap and free of number/bigint mix-ups.
 *
 * Origin: the spec requires only a non-empty line and says clients MUST NOT assume it is a URL, so both
 * formatCheckpoint and parseCheckpoint accept exactly that (minus control characters), and they accept the same
 * language. Binding a checkpoint to a log is done by pinning its origin: pass `origin` to parseCheckpoint.
 */

export interface Checkpoint {
  /** Identifies the log (tlog-checkpoint §Note text, line 1). Palisade logs use {@link palisadeOrigin}. */
  origin: string;
  /** Number of leaves, a safe integer. */
  size: number;
  /** RFC 6962 Merkle tree hash at `size`, 32 bytes (SHA-256). */
  rootHash: Uint8Array;
  /** Opaque, non-empty lines; their use is NOT RECOMMENDED by the spec. */
  extensions: string[];
}

export interface CheckpointInput {
  origin: string;
  size: number;
  rootHash: Uint8Array;
  extensions?: readonly string[];
}

export interface CheckpointLimits {
  /** UTF-16 length of the whole body. */
  maxChars: number;
  maxExtensionLines: number;
}

/** 64 KiB and 16 extension lines: a real checkpoint body is under 200 bytes and has no extensions. */
export const DEFAULT_CHECKPOINT_LIMITS: Readonly<CheckpointLimits> = Object.freeze({ maxChars: 64 * 1024, maxExtensionLines: 16 });

export interface ParseCheckpointOptions extends Partial<CheckpointLimits> {
  /** When set, the origin line must equal this string exactly. */
  origin?: string;
}

const HASH_BYTES = 32;
/** uint64 has at most 20 decimal digits; checked before BigInt() so parsing cost stays constant. */
const MAX_SIZE_DIGITS = 20;
const UINT64_MAX = (1n << 64n) - 1n;
// tlog-checkpoint §Note text: ASCII decimal, no leading zeroes unless the tree is empty.
const SIZE = /^(?:0|[1-9][0-9]*)$/;
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const LINE_FORBIDDEN = /[\x00-\x1f]|[\uD800-\uDFFF]/u;

/** The origin line of a Palisade log: `palisade/<8 hex digits of the log key ID>`. */
export function palisadeOrigin(keyId: number): string {
  return `palisade/${formatKeyId(keyId)}`;
}

/** Formats a checkpoint body. Throws for anything parseCheckpoint would reject, so the pair round-trips. */
export function formatCheckpoint(checkpoint: CheckpointInput, limits: Partial<CheckpointLimits> = {}): string {
  const lim = { ...DEFAULT_CHECKPOINT_LIMITS, ...limits };
  const { origin, size, rootHash, extensions = [] } = checkpoint;
  checkOrigin(origin);
  if (!Number.isSafeInteger(size) || size < 0) throw new NoteError('AUDIT_CHECKPOINT_SIZE_INVALID', `tree size ${size} is not a non-negative safe integer`);
  if (!(rootHash instanceof Uint8Array) || rootHash.length !== HASH_BYTES) throw new NoteError('AUDIT_CHECKPOINT_ROOT_HASH_INVALID', 'root hash must be 32 bytes');
  if (extensions.length > lim.maxExtensionLines) throw new NoteError('AUDIT_CHECKPOINT_TOO_LARGE', `${extensions.length} extension lines, limit ${lim.maxExtensionLines}`);
  for (const line of extensions) checkExtension(line);
  const body = [origin, String(size), Buffer.from(rootHash).toString('base64'), ...extensions].join('\n') + '\n';
  if (body.length > lim.maxChars) throw new NoteError('AUDIT_CHECKPOINT_TOO_LARGE', `checkpoint is over ${lim.maxChars} characters`);
  return body;
}

/** Parses and strictly validates a checkpoint body (the `text` of an opened note). */
export function parseCheckpoint(text: string, options: ParseCheckpointOptions = {}): Checkpoint {
  const lim = { ...DEFAULT_CHECKPOINT_LIMITS, ...options };
  if (typeof text !== 'string') throw new NoteError('AUDIT_CHECKPOINT_MALFORMED', 'checkpoint must be a string');
  if (text.length > lim.maxChars) throw new NoteError('AUDIT_CHECKPOINT_TOO_LARGE', `checkpoint is over ${lim.maxChars} characters`);
  if (!text.endsWith('\n')) throw new NoteError('AUDIT_CHECKPOINT_MALFORMED', 'checkpoint does not end in a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) throw new NoteError('AUDIT_CHECKPOINT_MALFORMED', `checkpoint has ${lines.length} lines, needs origin, size and root hash`);
  if (lines.length - 3 > lim.maxExtensionLines) throw new NoteError('AUDIT_CHECKPOINT_TOO_LARGE', `${lines.length - 3} extension lines, limit ${lim.maxExtensionLines}`);
  const [origin, sizeLine, rootLine, ...extensions] = lines as [string, string, string, ...string[]];
  checkOrigin(origin);
  if (options.origin !== undefined && origin !== options.origin) {
    throw new NoteError('AUDIT_CHECKPOINT_ORIGIN_MISMATCH', `checkpoint origin ${JSON.stringify(origin)} is not the expected ${JSON.stringify(options.origin)}`);
  }
  const size = parseSize(sizeLine);
  const rootHash = decodeBase64(rootLine);
  if (rootHash === undefined || rootHash.length !== HASH_BYTES) throw new NoteError('AUDIT_CHECKPOINT_ROOT_HASH_INVALID', 'root hash line is not canonical base64 of 32 bytes');
  for (const line of extensions) checkExtension(line);
  return { origin, size, rootHash, extensions };
}

function parseSize(line: string): number {
  if (line.length > MAX_SIZE_DIGITS || !SIZE.test(line)) throw new NoteError('AUDIT_CHECKPOINT_SIZE_INVALID', 'tree size is not a decimal uint64 without leading zeroes');
  const value = BigInt(line);
  if (value > UINT64_MAX) throw new NoteError('AUDIT_CHECKPOINT_SIZE_INVALID', 'tree size does not fit in uint64');
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new NoteError('AUDIT_CHECKPOINT_SIZE_UNSUPPORTED', 'tree size is above 2^53 - 1, which Palisade does not support');
  return Number(value);
}

function checkOrigin(origin: string): void {
  // tlog-checkpoint §Note text: the origin MUST be non-empty. Control characters are already banned by signed-note.
  if (typeof origin !== 'string' || origin.length === 0 || LINE_FORBIDDEN.test(origin)) {
    throw new NoteError('AUDIT_CHECKPOINT_ORIGIN_INVALID', 'origin must be a non-empty line without control characters');
  }
}

function checkExtension(line: string): void {
  // tlog-checkpoint §Note text: extension lines, if any, MUST be non-empty.
  if (typeof line !== 'string' || line.length === 0 || LINE_FORBIDDEN.test(line)) {
    throw new NoteError('AUDIT_CHECKPOINT_EXTENSION_INVALID', 'extension lines must be non-empty and free of control characters');
  }
}

import type { NoteSigner, NoteVerifier } from './note-key.js';
import { checkName, decodeBase64, formatKeyId, isValidKeyName, LONE_SURROGATE, shown } from './note-key.js';
import { NoteError } from './note-errors.js';

/**
 * C2SP signed notes (https://c2sp.org/signed-note): text ending in a newline, a blank line, then one or more lines
 * `— <key name> base64(uint32 key ID || signature)`. Ed25519 keys use the Go `golang.org/x/mod/sumdb/note` string
 * encodings so keys and notes interoperate with Go sumdb, Sigstore and witness tooling.
 *
 * No comparison here involves a secret: key IDs are derived from public keys and Ed25519 verification is OpenSSL's,
 * so there is nothing for crypto.timingSafeEqual to protect.
 */

/** Bounds applied before any parsing, so a hostile note costs at most O(maxBytes) work. */
export interface NoteLimits {
  /** UTF-8 bytes in the whole note, signatures included. */
  maxBytes: number;
  /** Newline-terminated lines in the whole note, signature lines included. */
  maxLines: number;
  /** Signature lines, duplicates included. The spec requires accepting at least 16 (signed-note §Format). */
  maxSignatures: number;
}

/** 1 MiB, 10,000 lines, 100 signatures (Go's sumdb/note bound). Checkpoints are a few hundred bytes. */
export const DEFAULT_NOTE_LIMITS: Readonly<NoteLimits> = Object.freeze({ maxBytes: 1 << 20, maxLines: 10_000, maxSignatures: 100 });

export * from './note-key.js';

/** A signature line as found in a note. */
export interface NoteSignature {
  name: string;
  keyId: number;
  /** Signature bytes after the 4-byte key ID. */
  signature: Uint8Array;
  /** The base64 field exactly as it appeared on the line (key ID included). */
  base64: string;
}

/** A note split into text and signature lines, nothing verified. Its text MUST NOT be trusted (signed-note §Note). */
export interface ParsedNote {
  text: string;
  signatures: NoteSignature[];
}

/** A note with at least one signature verified by a known key. */
export interface OpenedNote {
  /** The signed text, final newline included. */
  text: string;
  /** One entry per known key whose signature verified (repeats dropped). */
  verified: NoteSignature[];
  /** Signatures by keys the caller did not pass, ignored as the spec requires (identical repeats dropped). */
  unknown: NoteSignature[];
}

const SIG_PREFIX = '\u2014 ';
// signed-note §Format: no ASCII control characters other than newline.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\x00-\x09\x0b-\x1f]/;
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Signs `text` (which must end in a newline) and returns `text ‖ "\n" ‖ one signature line per signer`.
 * Refuses to produce anything {@link openNote} with the same limits would reject.
 *
 * @example
 * const signer = createSigner(skey); // from the key store; never logged
 * const note = signNote('example.com/log\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n', [signer]);
 */
export function signNote(text: string, signers: readonly NoteSigner[], limits: Partial<NoteLimits> = {}): string {
  const lim = { ...DEFAULT_NOTE_LIMITS, ...limits };
  checkNoteText(text, lim);
  if (signers.length === 0) throw new NoteError('AUDIT_NOTE_SIGNATURE_BLOCK_MISSING', 'a note needs at least one signer');
  if (signers.length > lim.maxSignatures) throw new NoteError('AUDIT_NOTE_TOO_MANY_SIGNATURES', `${signers.length} signers, limit ${lim.maxSignatures}`);
  const message = Buffer.from(text, 'utf8');
  let note = `${text}\n`;
  for (const signer of signers) {
    checkName(signer.name);
    formatKeyId(signer.keyId);
    let sig: Uint8Array;
    try {
      sig = signer.sign(message);
    } catch (cause) {
      throw new NoteError('AUDIT_NOTE_SIGNER_FAILED', `signer ${signer.name} failed`, { cause });
    }
    if (!(sig instanceof Uint8Array) || sig.length === 0) throw new NoteError('AUDIT_NOTE_SIGNER_FAILED', `signer ${signer.name} returned no signature bytes`);
    const bytes = Buffer.alloc(4 + sig.length);
    bytes.writeUInt32BE(signer.keyId, 0);
    bytes.set(sig, 4);
    note += `${SIG_PREFIX}${signer.name} ${bytes.toString('base64')}\n`;
  }
  checkNoteBounds(note, lim);
  return note;
}

/**
 * Splits a note into text and signature lines without verifying anything: for diagnostics or finding which key to
 * fetch. Use {@link openNote} before acting on the text.
 */
export function parseNote(note: string | Uint8Array, limits: Partial<NoteLimits> = {}): ParsedNote {
  const lim = { ...DEFAULT_NOTE_LIMITS, ...limits };
  const all = decodeNote(note, lim.maxBytes);
  checkNoteBounds(all, lim);
  if (!all.endsWith('\n')) throw new NoteError('AUDIT_NOTE_UNTERMINATED', 'note does not end in a newline');
  // signed-note §Format: the text is separated from the signatures by the LAST empty line; signature lines are never
  // empty, so the last "\n\n" is the separator even when the text itself contains blank lines.
  const split = all.lastIndexOf('\n\n');
  if (split < 0 || split + 2 === all.length) throw new NoteError('AUDIT_NOTE_SIGNATURE_BLOCK_MISSING', 'note has no blank line followed by signature lines');
  const lines = all.slice(split + 2, -1).split('\n');
  if (lines.length > lim.maxSignatures) throw new NoteError('AUDIT_NOTE_TOO_MANY_SIGNATURES', `${lines.length} signature lines, limit ${lim.maxSignatures}`);
  return { text: all.slice(0, split + 1), signatures: lines.map(parseSignatureLine) };
}

/**
 * Opens a signed note: parses it, verifies every signature by a key in `verifiers`, and lists the rest as unknown.
 *
 * @example
 * const { text } = openNote(noteBytes, [createVerifier(vkey)]); // throws NoteError unless a known key verified it
 * const checkpoint = parseCheckpoint(text, { origin });
 *
 * signed-note §Signatures: unknown keys (name and ID not both matching) are ignored; a known key's failing signature
 * rejects the whole note (a SHOULD we apply, including for repeated lines of one key); no verified signature rejects it.
 */
export function openNote(note: string | Uint8Array, verifiers: readonly NoteVerifier[], limits: Partial<NoteLimits> = {}): OpenedNote {
  const known = verifierMap(verifiers);
  const { text, signatures } = parseNote(note, limits);
  const message = Buffer.from(text, 'utf8');
  const verified: NoteSignature[] = [];
  const unknown: NoteSignature[] = [];
  const seenLines = new Set<string>();
  const verifiedKeys = new Set<string>();
  for (const sig of signatures) {
    const line = `${sig.name} ${sig.base64}`;
    if (seenLines.has(line)) continue; // an identical line was already checked; Ed25519 is deterministic
    seenLines.add(line);
    const id = mapKey(sig.name, sig.keyId);
    const verifier = known.get(id);
    if (verifier === undefined) {
      unknown.push(sig);
      continue;
    }
    if (!safeVerify(verifier, message, sig.signature)) {
      throw new NoteError('AUDIT_NOTE_SIGNATURE_INVALID', `signature by known key ${shown(sig.name)}+${formatKeyId(sig.keyId)} does not verify`);
    }
    if (!verifiedKeys.has(id)) {
      verifiedKeys.add(id);
      verified.push(sig);
    }
  }
  if (verified.length === 0) throw new NoteError('AUDIT_NOTE_UNVERIFIED', `no signature by a known key (${unknown.length} by unknown keys)`);
  return { text, verified, unknown };
}

function parseSignatureLine(line: string): NoteSignature {
  if (!line.startsWith(SIG_PREFIX)) throw new NoteError('AUDIT_NOTE_SIGNATURE_LINE_MALFORMED', 'signature line does not start with "\u2014 "');
  const rest = line.slice(SIG_PREFIX.length);
  const space = rest.indexOf(' ');
  const name = space < 0 ? rest : rest.slice(0, space);
  if (space < 0 || !isValidKeyName(name)) throw new NoteError('AUDIT_NOTE_SIGNATURE_LINE_MALFORMED', 'signature line needs "\u2014 <key name> <base64>"');
  const base64 = rest.slice(space + 1);
  const bytes = decodeBase64(base64);
  // 4-byte key ID plus at least one signature byte (Go's sumdb/note applies the same minimum).
  if (bytes === undefined || bytes.length < 5) throw new NoteError('AUDIT_NOTE_SIGNATURE_BASE64', `signature by ${shown(name)} is not canonical base64 of a key ID and signature`);
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  return { name, keyId: view.readUInt32BE(0), signature: bytes.subarray(4), base64 };
}

function verifierMap(verifiers: readonly NoteVerifier[]): Map<string, NoteVerifier> {
  const map = new Map<string, NoteVerifier>();
  for (const v of verifiers) {
    const id = mapKey(v.name, v.keyId);
    const had = map.get(id);
    // Two different keys with one name and ID mean the trust configuration itself is wrong; say so instead of guessing.
    if (had !== undefined && had !== v) throw new NoteError('AUDIT_NOTE_VERIFIER_AMBIGUOUS', `two verifiers share name ${v.name} and key ID ${formatKeyId(v.keyId)}`);
    map.set(id, v);
  }
  return map;
}

function mapKey(name: string, id: number): string {
  return `${id}\n${name}`; // names never contain a newline
}

function safeVerify(verifier: NoteVerifier, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    return verifier.verify(message, signature) === true;
  } catch {
    return false; // a verifier that cannot parse a signature has not verified it
  }
}

function decodeNote(note: string | Uint8Array, maxBytes: number): string {
  // Every UTF-16 code unit needs at least one UTF-8 byte, so the cheap length test comes first.
  if (note.length > maxBytes) throw new NoteError('AUDIT_NOTE_TOO_LARGE', `note is over ${maxBytes} bytes`);
  if (typeof note === 'string') {
    if (LONE_SURROGATE.test(note)) throw new NoteError('AUDIT_NOTE_ENCODING', 'note contains an unpaired surrogate, which has no UTF-8 encoding');
    if (Buffer.byteLength(note, 'utf8') > maxBytes) throw new NoteError('AUDIT_NOTE_TOO_LARGE', `note is over ${maxBytes} bytes`);
    return note;
  }
  try {
    // ignoreBOM: a leading U+FEFF is part of the signed bytes and must survive decoding.
    return UTF8.decode(note);
  } catch (cause) {
    throw new NoteError('AUDIT_NOTE_ENCODING', 'note is not valid UTF-8', { cause });
  }
}

function checkNoteText(text: string, lim: NoteLimits): void {
  if (typeof text !== 'string' || LONE_SURROGATE.test(text)) throw new NoteError('AUDIT_NOTE_ENCODING', 'note text must be a well-formed string');
  if (!text.endsWith('\n')) throw new NoteError('AUDIT_NOTE_UNTERMINATED', 'note text must end in a newline');
  checkNoteBounds(text, lim);
}

function checkNoteBounds(note: string, lim: NoteLimits): void {
  if (CONTROL.test(note)) throw new NoteError('AUDIT_NOTE_CONTROL_CHARACTER', 'note contains an ASCII control character other than newline');
  if (Buffer.byteLength(note, 'utf8') > lim.maxBytes) throw new NoteError('AUDIT_NOTE_TOO_LARGE', `note is over ${lim.maxBytes} bytes`);
  let lines = 0;
  for (let i = note.indexOf('\n'); i >= 0; i = note.indexOf('\n', i + 1)) {
    if (++lines > lim.maxLines) throw new NoteError('AUDIT_NOTE_TOO_LARGE', `note has over ${lim.maxLines} lines`);
  }
}

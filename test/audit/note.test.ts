import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createSigner,
  createVerifier,
  DEFAULT_NOTE_LIMITS,
  decodeBase64,
  formatKeyId,
  formatSignerKey,
  formatVerifierKey,
  generateSignerKey,
  isValidKeyName,
  keyId,
  openNote,
  parseNote,
  parseSignerKey,
  parseVerifierKey,
  signNote,
} from '../../src/audit/note.js';
import type { NoteSigner, NoteVerifier } from '../../src/audit/note.js';
import { NoteError } from '../../src/audit/note-errors.js';
import type { NoteErrorCode } from '../../src/audit/note-errors.js';
import { codeOf } from '../support/error-code.js';

/**
 * Vectors: test/fixtures/audit/tlog-vectors.json `signedNote`, from golang.org/x/mod sumdb/note/note_test.go
 * (BSD-3-Clause). Ed25519 is deterministic, so the PeterNeumann signature is reproduced byte for byte.
 */
interface SignedNoteVectors {
  vectors: [
    { skey: string; vkey: string; keyName: string; keyId_hex: string; publicKey_hex: string; text: string; signedNote: string },
    { vkey: string; text: string; signatureLine: string },
  ];
  negative: string[];
}
const vectors = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'audit', 'tlog-vectors.json'), 'utf8')) as { signedNote: SignedNoteVectors };
const [peter, enoch] = vectors.signedNote.vectors;
const wrongLengthKey = vectors.signedNote.negative[1]!.split(' ')[0]!;
const unknownAlgKey = vectors.signedNote.negative[2]!.split(' ')[0]!;

/** Deterministic test keys: the seed is SHA-256 of a label, so runs are reproducible and no key file is committed. */
function testSigner(name: string): ReturnType<typeof createSigner> {
  return createSigner(formatSignerKey(name, createHash('sha256').update(`palisade test key ${name}`).digest()));
}


describe('key encodings (Go sumdb/note)', () => {
  it('derives the PeterNeumann key ID and both key strings from the seed', () => {
    const sk = parseSignerKey(peter.skey);
    expect(sk.name).toBe('PeterNeumann');
    expect(formatKeyId(sk.keyId)).toBe(peter.keyId_hex);
    expect(Buffer.from(sk.publicKey).toString('hex')).toBe(peter.publicKey_hex);
    expect(formatKeyId(keyId('PeterNeumann', sk.publicKey))).toBe('c74f20a3');
    expect(formatSignerKey('PeterNeumann', sk.seed)).toBe(peter.skey);
    expect(formatVerifierKey('PeterNeumann', sk.publicKey)).toBe(peter.vkey);
    expect(createSigner(peter.skey).verifierKey).toBe(peter.vkey);
  });

  it('parses verifier keys for both vector signers', () => {
    const vk = parseVerifierKey(peter.vkey);
    expect({ name: vk.name, id: formatKeyId(vk.keyId), pub: Buffer.from(vk.publicKey).toString('hex') }).toEqual({ name: 'PeterNeumann', id: 'c74f20a3', pub: peter.publicKey_hex });
    expect(formatKeyId(parseVerifierKey(enoch.vkey).keyId)).toBe('af0cfe78');
  });

  it('rejects every proper substring and every single-byte increment of a verifier key', () => {
    const b = Buffer.from(peter.vkey, 'utf8');
    for (let i = 0; i <= b.length; i++) {
      for (let j = i + 1; j <= b.length; j++) {
        if (i === 0 && j === b.length) continue;
        expect(codeOf(() => parseVerifierKey(b.subarray(i, j).toString('latin1'))), `substring ${i}..${j}`).toMatch(/^AUDIT_NOTE_/);
      }
    }
    for (let i = 0; i < b.length; i++) {
      const m = Buffer.from(b);
      m[i] = m[i]! + 1;
      expect(codeOf(() => parseVerifierKey(m.toString('latin1'))), `increment at ${i}`).toMatch(/^AUDIT_NOTE_/);
    }
  });

  it('rejects every proper substring and every single-byte increment of a signer key', () => {
    const b = Buffer.from(peter.skey, 'utf8');
    for (let i = 0; i <= b.length; i++) {
      for (let j = i + 1; j <= b.length; j++) {
        if (i === 0 && j === b.length) continue;
        expect(codeOf(() => parseSignerKey(b.subarray(i, j).toString('latin1'))), `substring ${i}..${j}`).toMatch(/^AUDIT_NOTE_/);
      }
    }
    for (let i = 0; i < b.length; i++) {
      const m = Buffer.from(b);
      m[i] = m[i]! + 1;
      expect(codeOf(() => parseSignerKey(m.toString('latin1'))), `increment at ${i}`).toMatch(/^AUDIT_NOTE_/);
    }
  });

  it('names the failure for the vector negatives and other malformed keys', () => {
    expect(codeOf(() => parseVerifierKey(wrongLengthKey))).toBe('AUDIT_NOTE_KEY_MALFORMED');
    expect(codeOf(() => parseVerifierKey(unknownAlgKey))).toBe('AUDIT_NOTE_KEY_ALGORITHM');
    expect(codeOf(() => parseVerifierKey(peter.vkey.replace('c74f20a3', 'c74f20a4')))).toBe('AUDIT_NOTE_KEY_ID_MISMATCH');
    expect(codeOf(() => parseVerifierKey(peter.vkey.replace('c74f20a3', 'C74F20A3')))).toBe('AUDIT_NOTE_KEY_MALFORMED');
    expect(codeOf(() => parseVerifierKey(peter.vkey.replace('c74f20a3', 'c74f20a')))).toBe('AUDIT_NOTE_KEY_MALFORMED');
    expect(codeOf(() => parseVerifierKey(`${peter.vkey}=`))).toBe('AUDIT_NOTE_KEY_MALFORMED');
    expect(codeOf(() => parseVerifierKey(peter.vkey.replace(/\//g, '_')))).toBe('AUDIT_NOTE_KEY_MALFORMED');
    expect(codeOf(() => parseVerifierKey('PeterNeumann+c74f20a3'))).toBe('AUDIT_NOTE_KEY_MALFORMED');
    expect(codeOf(() => parseVerifierKey('PeterNeumann+c74f20a3+'))).toBe('AUDIT_NOTE_KEY_MALFORMED');
    expect(codeOf(() => parseVerifierKey('x'.repeat(5000)))).toBe('AUDIT_NOTE_KEY_MALFORMED');
    expect(codeOf(() => parseVerifierKey(`+${peter.vkey}`))).toBe('AUDIT_NOTE_NAME_INVALID');
    expect(codeOf(() => parseVerifierKey(`Peter Neumann+${peter.vkey.split('+').slice(1).join('+')}`))).toBe('AUDIT_NOTE_NAME_INVALID');
    expect(codeOf(() => parseSignerKey(peter.vkey))).toBe('AUDIT_NOTE_KEY_MALFORMED');
    expect(codeOf(() => parseSignerKey(peter.skey.replace('c74f20a3', 'c74f20a4')))).toBe('AUDIT_NOTE_KEY_ID_MISMATCH');
    expect(codeOf(() => parseSignerKey(peter.skey.replace('+AY', '+Ag')))).toBe('AUDIT_NOTE_KEY_ALGORITHM');
  });

  it('never echoes the private key in an error message', () => {
    const secret = peter.skey.split('+').at(-1)!;
    for (const bad of [peter.skey.replace('c74f20a3', 'c74f20a4'), `${peter.skey}AAAA`, peter.skey.replace('+AY', '+Ag'), peter.skey.slice(0, -1)]) {
      try {
        parseSignerKey(bad);
        expect.unreachable();
      } catch (err) {
        expect(err).toBeInstanceOf(NoteError);
        expect((err as Error).message).not.toContain(secret.slice(0, 12));
      }
    }
  });

  it('accepts names per signed-note §Format and refuses spaces, plus signs and control characters', () => {
    for (const good of ['PeterNeumann', 'example.com/log42', 'palisade/c74f20a3', 'caf\u00e9', '\u{1F600}', 'a\u007fb']) expect(isValidKeyName(good), good).toBe(true);
    for (const bad of ['', 'a b', 'a+b', 'a\tb', 'a\nb', 'a\u00a0b', 'a\u0085b', 'a\u2028b', 'a\u3000b', 'a\u0000b', 'a\u001bb', 'a\ud800b']) {
      expect(isValidKeyName(bad), JSON.stringify(bad)).toBe(false);
      expect(codeOf(() => generateSignerKey(bad))).toBe('AUDIT_NOTE_NAME_INVALID');
    }
    const pub = parseVerifierKey(peter.vkey).publicKey;
    expect(codeOf(() => formatVerifierKey('a b', pub))).toBe('AUDIT_NOTE_NAME_INVALID');
    expect(codeOf(() => keyId('PeterNeumann', pub.subarray(1)))).toBe('AUDIT_NOTE_KEY_MALFORMED');
    expect(codeOf(() => formatKeyId(2 ** 32))).toBe('AUDIT_NOTE_KEY_MALFORMED');
  });

  it('generates key pairs whose strings parse back and sign', () => {
    const { skey, vkey } = generateSignerKey('example.com/generated');
    const signer = createSigner(skey);
    expect(signer.verifierKey).toBe(vkey);
    const note = signNote('hello\n', [signer]);
    expect(openNote(note, [createVerifier(vkey)]).verified).toHaveLength(1);
  });

  it('decodes only canonical standard base64', () => {
    expect(decodeBase64('AA==')).toEqual(Buffer.from([0]));
    expect(decodeBase64('')).toEqual(Buffer.alloc(0));
    for (const bad of ['AA', 'AB==', 'AA=', 'A===', '-_-_', 'AA AA', 'AAAA\n', ' AAAA', 'AA==AA==']) expect(decodeBase64(bad), bad).toBeUndefined();
  });
});

describe('signNote', () => {
  it('reproduces the PeterNeumann golden signature byte for byte', () => {
    expect(signNote(peter.text, [createSigner(peter.skey)])).toBe(peter.signedNote);
  });

  it('adds one line per signer in order, verifiable by each key', () => {
    const a = testSigner('a.example/log');
    const b = testSigner('b.example/witness');
    const note = signNote('body\n', [a, b]);
    const lines = note.split('\n');
    expect(lines.slice(0, 2)).toEqual(['body', '']);
    expect(lines[2]).toMatch(/^\u2014 a\.example\/log [A-Za-z0-9+/]{91}=$/);
    expect(lines[3]).toMatch(/^\u2014 b\.example\/witness /);
    expect(openNote(note, [createVerifier(a.verifierKey), createVerifier(b.verifierKey)]).verified.map((s) => s.name)).toEqual(['a.example/log', 'b.example/witness']);
  });

  it('refuses text and signers that would produce a note openNote rejects', () => {
    const s = testSigner('s');
    expect(codeOf(() => signNote('no newline', [s]))).toBe('AUDIT_NOTE_UNTERMINATED');
    expect(codeOf(() => signNote('', [s]))).toBe('AUDIT_NOTE_UNTERMINATED');
    expect(codeOf(() => signNote('tab\there\n', [s]))).toBe('AUDIT_NOTE_CONTROL_CHARACTER');
    expect(codeOf(() => signNote('cr\r\n', [s]))).toBe('AUDIT_NOTE_CONTROL_CHARACTER');
    expect(codeOf(() => signNote('lone \ud800\n', [s]))).toBe('AUDIT_NOTE_ENCODING');
    expect(codeOf(() => signNote('x\n', []))).toBe('AUDIT_NOTE_SIGNATURE_BLOCK_MISSING');
    expect(codeOf(() => signNote('x\n', Array.from({ length: 101 }, () => s)))).toBe('AUDIT_NOTE_TOO_MANY_SIGNATURES');
    expect(codeOf(() => signNote(`${'x'.repeat(2000)}\n`, [s], { maxBytes: 1000 }))).toBe('AUDIT_NOTE_TOO_LARGE');
    // The text fits, the signature line pushes the note over the bound.
    expect(codeOf(() => signNote(`${'x'.repeat(950)}\n`, [s], { maxBytes: 1000 }))).toBe('AUDIT_NOTE_TOO_LARGE');
    expect(codeOf(() => signNote('a\nb\nc\n', [s], { maxLines: 4 }))).toBe('AUDIT_NOTE_TOO_LARGE');
    expect(codeOf(() => signNote('x\n', [{ name: 'bad name', keyId: 1, sign: () => new Uint8Array(64) }]))).toBe('AUDIT_NOTE_NAME_INVALID');
    expect(codeOf(() => signNote('x\n', [{ name: 'ok', keyId: -1, sign: () => new Uint8Array(64) }]))).toBe('AUDIT_NOTE_KEY_MALFORMED');
    expect(codeOf(() => signNote('x\n', [{ name: 'ok', keyId: 1, sign: () => new Uint8Array(0) }]))).toBe('AUDIT_NOTE_SIGNER_FAILED');
  });

  it('wraps a failing injected signer with its cause', () => {
    const boom = new Error('HSM offline');
    const signer: NoteSigner = {
      name: 'hsm',
      keyId: 7,
      sign: () => {
        throw boom;
      },
    };
    try {
      signNote('x\n', [signer]);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(NoteError);
      expect((err as NoteError).code).toBe('AUDIT_NOTE_SIGNER_FAILED');
      expect((err as NoteError).cause).toBe(boom);
    }
  });
});

describe('openNote', () => {
  const peterV = createVerifier(peter.vkey);
  const enochV = createVerifier(enoch.vkey);
  const both = `${peter.signedNote}${enoch.signatureLine}\n`;

  it('verifies the golden notes and lists unknown keys separately', () => {
    const opened = openNote(peter.signedNote, [peterV]);
    expect(opened.text).toBe(peter.text);
    expect(opened.verified.map((s) => [s.name, formatKeyId(s.keyId)])).toEqual([['PeterNeumann', 'c74f20a3']]);
    expect(opened.unknown).toEqual([]);

    const enochOnly = openNote(`${enoch.text}\n${enoch.signatureLine}\n`, [enochV]);
    expect(enochOnly.verified.map((s) => s.name)).toEqual(['EnochRoot']);

    const twoKnown = openNote(both, [peterV, enochV]);
    expect(twoKnown.verified.map((s) => s.name)).toEqual(['PeterNeumann', 'EnochRoot']);

    const oneKnown = openNote(both, [enochV]);
    expect(oneKnown.verified.map((s) => s.name)).toEqual(['EnochRoot']);
    expect(oneKnown.unknown.map((s) => [s.name, s.base64])).toEqual([['PeterNeumann', peter.signedNote.split(' ').at(-1)!.trim()]]);
  });

  it('accepts bytes as well as strings, and keeps a leading byte-order mark as signed text', () => {
    expect(openNote(Buffer.from(both, 'utf8'), [peterV]).text).toBe(peter.text);
    const s = testSigner('bom');
    const note = signNote('\ufeffwith BOM\n', [s]);
    expect(openNote(new Uint8Array(Buffer.from(note, 'utf8')), [createVerifier(s.verifierKey)]).text).toBe('\ufeffwith BOM\n');
  });

  it('keeps blank lines inside the text: the last blank line separates the signatures', () => {
    const s = testSigner('blank');
    const text = 'first\n\nsecond\n\n\nthird\n';
    expect(openNote(signNote(text, [s]), [createVerifier(s.verifierKey)]).text).toBe(text);
    expect(openNote(signNote('\n', [s]), [createVerifier(s.verifierKey)]).text).toBe('\n');
  });

  it('ignores signatures whose name or key ID (not both) match a known key', () => {
    const impostorSameName = createVerifier(generateSignerKey('PeterNeumann').vkey);
    expect(codeOf(() => openNote(peter.signedNote, [impostorSameName]))).toBe('AUDIT_NOTE_UNVERIFIED');
    const sameId: NoteVerifier = { name: 'SomeoneElse', keyId: 0xc74f20a3, verify: () => true };
    expect(codeOf(() => openNote(peter.signedNote, [sameId]))).toBe('AUDIT_NOTE_UNVERIFIED');
  });

  it('rejects the note when a known key signature fails, even beside a valid one', () => {
    const sigs = peter.signedNote.split('\n\n')[1]!;
    const b64 = sigs.trim().split(' ').at(-1)!;
    const raw = decodeBase64(b64)!;
    const flipped = Buffer.from(raw);
    flipped[10] = flipped[10]! ^ 1;
    const badLine = `\u2014 PeterNeumann ${flipped.toString('base64')}\n`;
    expect(codeOf(() => openNote(`${peter.text}\n${badLine}`, [peterV]))).toBe('AUDIT_NOTE_SIGNATURE_INVALID');
    expect(codeOf(() => openNote(`${peter.signedNote}${badLine}`, [peterV]))).toBe('AUDIT_NOTE_SIGNATURE_INVALID');
    expect(codeOf(() => openNote(`${peter.text.replace('answer', 'Answer')}\n${sigs}`, [peterV]))).toBe('AUDIT_NOTE_SIGNATURE_INVALID');
    // A wrong-length Ed25519 signature and a verifier that throws are failures, not crashes.
    const short = Buffer.concat([raw.subarray(0, 4), raw.subarray(4, 40)]).toString('base64');
    expect(codeOf(() => openNote(`${peter.text}\n\u2014 PeterNeumann ${short}\n`, [peterV]))).toBe('AUDIT_NOTE_SIGNATURE_INVALID');
    const throwing: NoteVerifier = {
      name: 'PeterNeumann',
      keyId: 0xc74f20a3,
      verify: () => {
        throw new Error('bad');
      },
    };
    expect(codeOf(() => openNote(peter.signedNote, [throwing]))).toBe('AUDIT_NOTE_SIGNATURE_INVALID');
  });

  it('drops repeated signature lines and repeated keys from the result', () => {
    const opened = openNote(`${peter.signedNote}${peter.signedNote.split('\n\n')[1]}${enoch.signatureLine}\n${enoch.signatureLine}\n`, [peterV]);
    expect(opened.verified).toHaveLength(1);
    expect(opened.unknown).toHaveLength(1);
    expect(codeOf(() => openNote(peter.signedNote, [peterV, peterV]))).toBe('none');
  });

  it('refuses a verifier list in which two keys share a name and key ID', () => {
    const twin: NoteVerifier = { name: 'PeterNeumann', keyId: 0xc74f20a3, verify: () => true };
    expect(codeOf(() => openNote(peter.signedNote, [peterV, twin]))).toBe('AUDIT_NOTE_VERIFIER_AMBIGUOUS');
  });

  it('accepts the 16 signatures the spec requires and bounds the count at 100', () => {
    const signers = Array.from({ length: 16 }, (_, i) => testSigner(`w${i}`));
    const opened = openNote(signNote('cosigned\n', signers), [createVerifier(signers[3]!.verifierKey)]);
    expect(opened.verified.map((s) => s.name)).toEqual(['w3']);
    expect(opened.unknown).toHaveLength(15);
    const line = peter.signedNote.split('\n\n')[1]!;
    expect(codeOf(() => openNote(`${peter.text}\n${line.repeat(100)}`, [peterV]))).toBe('none');
    expect(codeOf(() => openNote(`${peter.text}\n${line.repeat(101)}`, [peterV]))).toBe('AUDIT_NOTE_TOO_MANY_SIGNATURES');
    expect(codeOf(() => openNote(peter.signedNote, [peterV], { maxSignatures: 0 }))).toBe('AUDIT_NOTE_TOO_MANY_SIGNATURES');
  });

  it('bounds size and line count before parsing', () => {
    expect(DEFAULT_NOTE_LIMITS).toEqual({ maxBytes: 1 << 20, maxLines: 10_000, maxSignatures: 100 });
    const big = `${'x'.repeat(1 << 20)}\n\n${enoch.signatureLine}\n`;
    expect(codeOf(() => openNote(big, [peterV]))).toBe('AUDIT_NOTE_TOO_LARGE');
    expect(codeOf(() => openNote(Buffer.from(big), [peterV]))).toBe('AUDIT_NOTE_TOO_LARGE');
    // 'é' is one UTF-16 unit but two UTF-8 bytes: the byte bound applies to strings too.
    expect(codeOf(() => openNote(`${'é'.repeat(600)}\n\n${enoch.signatureLine}\n`, [peterV], { maxBytes: 1000 }))).toBe('AUDIT_NOTE_TOO_LARGE');
    expect(codeOf(() => openNote(`${'\n'.repeat(10_001)}${enoch.signatureLine}\n`, [peterV]))).toBe('AUDIT_NOTE_TOO_LARGE');
    expect(codeOf(() => openNote(peter.signedNote, [peterV], { maxLines: 3 }))).toBe('AUDIT_NOTE_TOO_LARGE');
    expect(codeOf(() => openNote(peter.signedNote, [peterV], { maxLines: 4 }))).toBe('none');
  });

  it('rejects malformed notes with a code per problem', () => {
    const line = `${enoch.signatureLine}\n`;
    const cases: Array<[string | Uint8Array, NoteErrorCode]> = [
      [peter.signedNote.slice(0, -1), 'AUDIT_NOTE_UNTERMINATED'],
      [`${peter.text}${line}`, 'AUDIT_NOTE_SIGNATURE_BLOCK_MISSING'],
      [`${peter.text}\n`, 'AUDIT_NOTE_SIGNATURE_BLOCK_MISSING'],
      [`${peter.text}\n\n`, 'AUDIT_NOTE_SIGNATURE_BLOCK_MISSING'],
      ['', 'AUDIT_NOTE_UNTERMINATED'],
      [`tab\there\n\n${line}`, 'AUDIT_NOTE_CONTROL_CHARACTER'],
      [`nul\u0000\n\n${line}`, 'AUDIT_NOTE_CONTROL_CHARACTER'],
      [`crlf\r\n\r\n${line}`, 'AUDIT_NOTE_CONTROL_CHARACTER'],
      [`${peter.text}\n${line.slice(0, -1)}\r\n`, 'AUDIT_NOTE_CONTROL_CHARACTER'],
      [`lone \udc00\n\n${line}`, 'AUDIT_NOTE_ENCODING'],
      [Buffer.concat([Buffer.from('bad \xff utf8\n\n', 'latin1'), Buffer.from(line)]), 'AUDIT_NOTE_ENCODING'],
      [Buffer.concat([Buffer.from('overlong \xc0\xaf\n\n', 'latin1'), Buffer.from(line)]), 'AUDIT_NOTE_ENCODING'],
      [`${peter.text}\n${line.replace('\u2014', '-')}`, 'AUDIT_NOTE_SIGNATURE_LINE_MALFORMED'],
      [`${peter.text}\n${line.replace('\u2014', '\u2013')}`, 'AUDIT_NOTE_SIGNATURE_LINE_MALFORMED'],
      [`${peter.text}\n${line.replace('\u2014 ', '\u2014')}`, 'AUDIT_NOTE_SIGNATURE_LINE_MALFORMED'],
      [`${peter.text}\n${line.replace('EnochRoot ', 'EnochRoot')}`, 'AUDIT_NOTE_SIGNATURE_LINE_MALFORMED'],
      [`${peter.text}\n${line.replace('EnochRoot', 'Enoch+Root')}`, 'AUDIT_NOTE_SIGNATURE_LINE_MALFORMED'],
      [`${peter.text}\n${line.replace('EnochRoot', '')}`, 'AUDIT_NOTE_SIGNATURE_LINE_MALFORMED'],
      // A signature line above the last blank line is text, not a signature.
      [`${peter.signedNote}\n${line}`, 'AUDIT_NOTE_UNVERIFIED'],
      [`${peter.text}\n${line}plain text\n`, 'AUDIT_NOTE_SIGNATURE_LINE_MALFORMED'],
      [`${peter.text}\n${line.replace('EnochRoot ', 'EnochRoot  ')}`, 'AUDIT_NOTE_SIGNATURE_BASE64'],
      [`${peter.text}\n${line.replace(/=\n$/, '\n')}`, 'AUDIT_NOTE_SIGNATURE_BASE64'],
      [`${peter.text}\n${line.replace(/\n$/, ' \n')}`, 'AUDIT_NOTE_SIGNATURE_BASE64'],
      [`${peter.text}\n\u2014 EnochRoot rwz+eA==\n`, 'AUDIT_NOTE_SIGNATURE_BASE64'],
      [`${peter.text}\n\u2014 EnochRoot \n`, 'AUDIT_NOTE_SIGNATURE_BASE64'],
      [`${peter.text}\n${line.replace(/\+/g, '-')}`, 'AUDIT_NOTE_SIGNATURE_BASE64'],
      [`${peter.text}\n${line}`, 'AUDIT_NOTE_UNVERIFIED'],
    ];
    for (const [note, code] of cases) expect(codeOf(() => openNote(note, [peterV])), JSON.stringify(typeof note === 'string' ? note : 'bytes')).toBe(code);
  });

  it('parseNote splits without verifying', () => {
    const parsed = parseNote(`${peter.signedNote}${enoch.signatureLine}\n`);
    expect(parsed.text).toBe(peter.text);
    expect(parsed.signatures.map((s) => [s.name, formatKeyId(s.keyId), s.signature.length])).toEqual([
      ['PeterNeumann', 'c74f20a3', 64],
      ['EnochRoot', 'af0cfe78', 64],
    ]);
  });
});

describe('tamper evidence', () => {
  const peterV = createVerifier(peter.vkey);

  it('rejects every single-byte substitution of the golden signed note', () => {
    const bytes = Buffer.from(peter.signedNote, 'utf8');
    let checked = 0;
    for (let i = 0; i < bytes.length; i++) {
      for (let v = 0; v < 256; v++) {
        if (v === bytes[i]) continue;
        const m = Buffer.from(bytes);
        m[i] = v;
        const code = codeOf(() => openNote(m, [peterV]));
        if (!code.startsWith('AUDIT_NOTE_')) expect.fail(`byte ${i} set to ${v}: ${code}`);
        checked++;
      }
    }
    expect(checked).toBe(bytes.length * 255);
  });

  it('rejects random substitutions, deletions and insertions in random signed notes (fixed seed)', () => {
    const signer = testSigner('example.com/tamper');
    const verifier = createVerifier(signer.verifierKey);
    // Any text the format allows: no control characters except newline, ending in a newline.
    const text = fc.string({ unit: 'binary', maxLength: 200 }).map((s) => `${s.replace(/[\x00-\x09\x0b-\x1f]/g, '')}\n`); // eslint-disable-line no-control-regex
    fc.assert(
      fc.property(text, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('substitute', 'delete', 'insert'), (t, at, value, kind) => {
        const note = Buffer.from(signNote(t, [signer]), 'utf8');
        expect(openNote(note, [verifier]).text).toBe(t);
        const i = at % note.length;
        let m: Buffer;
        if (kind === 'substitute') {
          if (note[i] === value) return;
          m = Buffer.from(note);
          m[i] = value;
        } else if (kind === 'delete') {
          m = Buffer.concat([note.subarray(0, i), note.subarray(i + 1)]);
        } else {
          m = Buffer.concat([note.subarray(0, i), Buffer.from([value]), note.subarray(i)]);
        }
        const code = codeOf(() => openNote(m, [verifier]));
        expect(code.startsWith('AUDIT_NOTE_'), `${kind} at ${i} (${value}): ${code}`).toBe(true);
      }),
      { seed: 20250117, numRuns: 2000 },
    );
  });
});

import { describe, expect, it } from 'vitest';
import { crc32 } from '../../../../src/model/scan/archive/lzma-crc.js';
import { scan7z } from './sevenzip-support.js';

/**
 * Hand-built archives for header cases no tool writes. Bytes follow 7zFormat.txt; every NUMBER used here is below
 * 0x80, so it is one byte.
 */
function archive(packed: number[], header: number[], headerAt = 32 + packed.length): Uint8Array {
  const out = new Uint8Array(Math.max(headerAt + header.length, 32 + packed.length));
  out.set([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c, 0, 4]);
  out.set(packed, 32);
  out.set(header, headerAt);
  const view = new DataView(out.buffer);
  view.setBigUint64(12, BigInt(headerAt - 32), true);
  view.setBigUint64(20, BigInt(header.length), true);
  view.setUint32(28, crc32(Uint8Array.from(header)), true);
  view.setUint32(8, crc32(out.subarray(12, 32)), true);
  return out;
}

const utf16 = (s: string): number[] => [...Buffer.from(s + '\0', 'utf16le')];
const names = (...n: string[]): number[] => {
  const body = [0, ...n.flatMap(utf16)];
  return [0x11, body.length, ...body];
};

/** Main streams info for one Copy folder of `size` bytes, optionally split into sub-streams. */
const copyStreams = (size: number, subSizes?: number[]): number[] => [
  0x04,
  ...[0x06, 0x00, 0x01, 0x09, size, 0x00],
  ...[0x07, 0x0b, 0x01, 0x00, 0x01, 0x01, 0x00, 0x0c, size, 0x00],
  ...(subSizes === undefined ? [] : [0x08, 0x0d, subSizes.length, 0x09, ...subSizes.slice(0, -1), 0x00]),
  0x00,
];

const DATA = [...Buffer.from('hello world!')];

describe('7z header parsing (hand-built)', () => {
  it('a minimal valid archive: one Copy file', async () => {
    const r = await scan7z(archive(DATA, [0x01, ...copyStreams(12), 0x05, 0x01, ...names('a.txt'), 0x00, 0x00]));
    expect(r.findings).toEqual([]);
    expect(new TextDecoder().decode(r.members.get('a.txt'))).toBe('hello world!');
  });

  it('a solid folder split into sub-streams', async () => {
    const r = await scan7z(archive(DATA, [0x01, ...copyStreams(12, [5, 7]), 0x05, 0x02, ...names('a', 'b'), 0x00, 0x00]));
    expect(r.findings).toEqual([]);
    expect(new TextDecoder().decode(r.members.get('a'))).toBe('hello');
    expect(new TextDecoder().decode(r.members.get('b'))).toBe(' world!');
  });

  it('more files with data than streams', async () => {
    const r = await scan7z(archive(DATA, [0x01, ...copyStreams(12), 0x05, 0x02, ...names('a', 'b'), 0x00, 0x00]));
    expect(r.rules).toEqual(['archive-malformed']);
    expect(r.findings[0]!.message).toMatch(/more files with data than streams/);
  });

  it('a file count the header cannot describe', async () => {
    // 0x7f files, no empty-stream vector, one stream: impossible.
    const r = await scan7z(archive(DATA, [0x01, ...copyStreams(12), 0x05, 0x7f, 0x00, 0x00]));
    expect(r.rules).toEqual(['archive-malformed']);
    expect(r.findings[0]!.message).toMatch(/127 files, more than it can describe/);
    expect(r.findings[0]!.location.offset).toBeGreaterThan(32 + DATA.length);
  });

  it('names that run out before the files do', async () => {
    const r = await scan7z(archive(DATA, [0x01, ...copyStreams(12, [5, 7]), 0x05, 0x02, ...names('a'), 0x00, 0x00]));
    expect(r.rules).toEqual(['archive-malformed']);
    expect(r.findings[0]!.message).toMatch(/names list holds 1 of 2 names/);
  });

  it('sub-stream sizes larger than the folder', async () => {
    const r = await scan7z(archive(DATA, [0x01, ...copyStreams(12, [50, 7]), 0x05, 0x02, ...names('a', 'b'), 0x00, 0x00]));
    expect(r.rules).toEqual(['archive-malformed']);
    expect(r.findings[0]!.message).toMatch(/add up to more than folder 0/);
  });

  it('a folder with more coders than 7-Zip allows', async () => {
    const header = [0x01, 0x04, 0x06, 0x00, 0x01, 0x09, 12, 0x00, 0x07, 0x0b, 0x01, 0x00, 0x41, 0x01, 0x00];
    const r = await scan7z(archive(DATA, header));
    expect(r.rules).toEqual(['archive-malformed']);
    expect(r.findings[0]!.message).toMatch(/65 coders/);
  });

  it('a pack stream that points past the end of the file', async () => {
    const header = [0x01, 0x04, 0x06, 0x60, 0x01, 0x09, 12, 0x00, 0x07, 0x0b, 0x01, 0x00, 0x01, 0x01, 0x00, 0x0c, 12, 0x00, 0x00, 0x05, 0x01, ...names('a'), 0x00, 0x00];
    const r = await scan7z(archive(DATA, header));
    expect(r.rules).toEqual(['archive-malformed']);
    expect(r.findings[0]!.message).toMatch(/runs past the end of the file/);
    expect(r.findings[0]!.location.offset).toBe(32 + 0x60);
  });

  it('folders above maxMembers: not opened, reported as incomplete', async () => {
    const r = await scan7z(archive(DATA, [0x01, ...copyStreams(12), 0x05, 0x01, ...names('a'), 0x00, 0x00]), { maxMembers: 0 });
    expect(r.rules).toEqual(['scan-incomplete']);
  });

  it('an encoded header that decodes to itself stops at the nesting limit', async () => {
    // The pack stream is the header: kEncodedHeader, then streams info for one Copy folder over that same stream.
    const self = [0x17, 0x06, 0x00, 0x01, 0x09, 0, 0x00, 0x07, 0x0b, 0x01, 0x00, 0x01, 0x01, 0x00, 0x0c, 0, 0x00, 0x00];
    self[5] = self.length;
    self[15] = self.length;
    const r = await scan7z(archive(self, self, 32));
    expect(r.rules).toEqual(['archive-malformed']);
    expect(r.findings[0]!.message).toMatch(/nest too deep/);
  });

  it('empty files, directories and anti-items from the empty-stream vectors', async () => {
    // Three entries: "d" (empty stream, not empty file: a directory), "e" (empty file), "f" (data).
    const files = [0x05, 0x03, 0x0e, 0x01, 0b1100_0000, 0x0f, 0x01, 0b0100_0000, ...names('d', 'e', 'f'), 0x00];
    const r = await scan7z(archive(DATA, [0x01, ...copyStreams(12), ...files, 0x00]));
    expect(r.findings).toEqual([]);
    expect([...r.members.keys()]).toEqual(['f']);
  });

  it('a CRC recorded for a sub-stream is checked', async () => {
    const streams = [
      0x04,
      ...[0x06, 0x00, 0x01, 0x09, 12, 0x00],
      ...[0x07, 0x0b, 0x01, 0x00, 0x01, 0x01, 0x00, 0x0c, 12, 0x00],
      ...[0x08, 0x0a, 0x01, 0xde, 0xad, 0xbe, 0xef, 0x00],
      0x00,
    ];
    const r = await scan7z(archive(DATA, [0x01, ...streams, 0x05, 0x01, ...names('a'), 0x00, 0x00]));
    expect(r.rules).toEqual(['archive-malformed']);
    expect(r.findings[0]!.message).toMatch(/CRC32 of the decoded member/);
    expect(r.members.has('a')).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { crc32 } from '../../../../src/model/scan/archive/lzma-crc.js';
import { escapingPath as unsafePathReason, linkEscape } from '../../../../src/model/scan/archive/member-path.js';

const symlinkEscapes = (name: string, target: string): boolean => linkEscape(name, target) !== undefined;
import { RULES } from '../../../../src/model/scan/rules.js';
import { readArchive, scan7z } from './sevenzip-support.js';

const THREE = ['README.txt', 'notes/zeros.bin', 'weights/data.pkl'];

describe('7z listing and decoding', () => {
  it('a stored (Copy) archive hands every file to format detection with its bytes', async () => {
    const r = await scan7z('copy-7zz.7z');
    expect(r.findings).toEqual([]);
    expect([...r.members.keys()].sort()).toEqual(THREE);
    expect(r.members.get('notes/zeros.bin')).toEqual(new Uint8Array(5000));
    expect(new TextDecoder().decode(r.members.get('README.txt')!.subarray(0, 200))).toMatch(/^[a-z0-9. \n]+$/);
    const pkl = r.members.get('weights/data.pkl')!;
    expect([pkl[0], pkl[1], pkl[pkl.length - 1]]).toEqual([0x80, 0x02, 0x2e]);
  });

  it.each([
    'lzma2-7zz.7z', // solid LZMA2, LZMA-encoded header
    'lzma-7zz.7z', // 7-Zip's LZMA: known size, no end marker
    'lzma1-py7zr.7z', // liblzma's LZMA1: known size and an end marker
    'lzma2-py7zr.7z', // py7zr default: x86 BCJ + LZMA2
    'nonsolid-7zz.7z', // one folder per file, plain header
    'deflate-7zz.7z',
    'bcj-7zz.7z',
    'delta-7zz.7z',
  ])('%s decodes to the same members as the stored archive', async (file) => {
    const want = (await scan7z('copy-7zz.7z')).members;
    const r = await scan7z(file);
    expect(r.findings).toEqual([]);
    expect(r.members).toEqual(want);
  });

  it('an empty archive has no members and no findings', async () => {
    const r = await scan7z('empty-7zz.7z');
    expect(r.findings).toEqual([]);
    expect(r.members.size).toBe(0);
  });

  it('nullifAI (bypass 8): a PyTorch archive and a pickle inside a 7z are handed to scanMember', async () => {
    const r = await scan7z('nullifai.7z');
    expect([...r.members.keys()].sort()).toEqual(['model.pt', 'payload.pkl']);
    const zip = r.members.get('model.pt')!;
    expect(new TextDecoder().decode(zip.subarray(0, 2))).toBe('PK');
    expect(new TextDecoder('latin1').decode(zip)).toContain('archive/data.pkl');
    const pkl = r.members.get('payload.pkl')!;
    expect(pkl[0]).toBe(0x80);
    expect(new TextDecoder('latin1').decode(pkl)).toContain('posix\nsystem');
  });

  it('member paths nest under the archive member path', async () => {
    const { ScanContext } = await import('../../../../src/model/scan/context.js');
    const { DEFAULT_LIMITS } = await import('../../../../src/model/scan/limits.js');
    const { defaultPolicy } = await import('../../../../src/model/scan/pickle/default-policy.js');
    const { BufferBlob } = await import('../../../../src/model/scan/blob.js');
    const { scanSevenZip } = await import('../../../../src/model/scan/archive/sevenzip.js');
    const seen: string[] = [];
    const outer = new ScanContext([], defaultPolicy(), DEFAULT_LIMITS, async (_b, ctx) => {
      seen.push(`${ctx.member}@${ctx.depth}`);
      return 'other';
    });
    await scanSevenZip(new BufferBlob(readArchive('nullifai.7z')), outer.child('outer.7z'));
    expect(seen.sort()).toEqual(['outer.7z!model.pt@2', 'outer.7z!payload.pkl@2']);
  });
});

describe('7z findings', () => {
  it.each(['encrypted-files-7zz.7z', 'encrypted-files-py7zr.7z'])('%s: encrypted members are reported, not scanned', async (file) => {
    const r = await scan7z(file);
    expect(r.rules).toEqual(['archive-encrypted']);
    expect(r.findings[0]!.message).toContain('weights/data.pkl');
    expect(r.members.size).toBe(0);
  });

  it.each(['encrypted-header-7zz.7z', 'encrypted-header-py7zr.7z'])('%s: an encrypted header is reported', async (file) => {
    const r = await scan7z(file);
    expect(r.rules).toEqual(['archive-encrypted']);
    expect(r.findings[0]!.message).toMatch(/header is encrypted/);
  });

  it('reports each traversal name and scans the members anyway', async () => {
    const r = await scan7z('traversal.7z');
    const flagged = r.findings.filter((f) => f.rule === 'archive-path-traversal').map((f) => f.location.member);
    expect(flagged).toEqual(['../../evil.pkl', '/etc/cron.d/evil', 'C:\\Windows\\evil.dll', '..\\..\\evil.pkl', 'ok/../../evil.pkl']);
    expect(r.members.has('fine/data.pkl')).toBe(true);
    expect(r.members.size).toBe(6);
  });

  it('near misses: dots inside names are not traversal', async () => {
    const r = await scan7z('benign-names.7z');
    expect(r.findings).toEqual([]);
    expect(r.members.size).toBe(3);
  });

  it('path rules', () => {
    for (const bad of ['..', '../x', 'a/../../x', '/x', '\\x', '\\\\server\\share\\x', '//server/x', 'c:x', 'D:\\x', 'a\\..\\..\\x', '.. /x', '.../x', 'a\0b']) {
      expect(unsafePathReason(bad), bad).toBeDefined();
    }
    for (const ok of ['x', 'a/b', 'a/../b', './a', 'a..b', '..a', 'a/..b/c', 'a/./b', '']) {
      expect(unsafePathReason(ok), ok).toBeUndefined();
    }
    expect(symlinkEscapes('a/link', '../x')).toBe(false);
    expect(symlinkEscapes('a/link', '../../x')).toBe(true);
    expect(symlinkEscapes('link', '/etc/passwd')).toBe(true);
    expect(symlinkEscapes('link', 'C:\\Windows')).toBe(true);
    expect(symlinkEscapes('link', 'sub/../data.pkl')).toBe(false);
    expect(symlinkEscapes('a/b/link', '..\\..\\..\\x')).toBe(true);
  });

  it.each([
    ['symlink-7zz.7z', 'link-inside', 'link-escape', '../../../../etc/passwd'],
    ['symlink-hand.7z', 'models/current', 'models/escape', '../../../../home/user/.ssh/authorized_keys'],
    ['reparse-hand.7z', 'win-inside', 'win-escape', 'C:\\Windows\\System32'],
  ])('%s: links are reported, escaping ones as unsafe; targets are not scanned', async (file, inside, escape, target) => {
    const r = await scan7z(file);
    const byRule = (rule: string): string[] => r.findings.filter((f) => f.rule === rule).map((f) => f.location.member!);
    expect(byRule('archive-symlink')).toEqual([inside]);
    expect(byRule('archive-path-traversal')).toEqual([escape]);
    expect([...r.members.keys()]).toEqual(['data.pkl']);
    expect(r.findings.find((f) => f.rule === 'archive-path-traversal')!.message).toContain(`'${target}'`);
  });

  it('reports anti-items (with their traversal name)', async () => {
    const r = await scan7z('anti.7z');
    expect(r.rules).toEqual(['archive-path-traversal', 'sevenzip-anti-item']);
    expect([...r.members.keys()]).toEqual(['model.pkl']);
  });

  it.each([
    ['bzip2-7zz.7z', /BZip2 \(id 040202\)/],
    ['arm64-7zz.7z', /ARM64 \(id 0a\)/],
    ['unsupported-coder.7z', /PPMd \(id 030401\)/],
  ])('%s: an unsupported coder is reported by name', async (file, name) => {
    const r = await scan7z(file);
    expect(r.rules).toEqual(['archive-unsupported-method']);
    expect(r.findings[0]!.message).toMatch(name);
    expect(r.members.size).toBe(0);
  });

  it('reports a bomb from declared sizes without decoding it', async () => {
    const r = await scan7z('bomb-7zz.7z');
    expect(r.rules).toEqual(['archive-bomb']);
    expect(r.findings[0]!.message).toMatch(/50000000 bytes from \d+ packed/);
    expect(r.findings[0]!.location.offset).toBe(32);
    expect(r.members.size).toBe(0);
  });

  it('reports a bomb when decoding spends the budget, and stops', async () => {
    const r = await scan7z('bomb-7zz.7z', { maxCompressionRatio: 1e9, maxTotalInflated: 1_000_000 });
    expect(r.rules).toEqual(['archive-bomb']);
    expect(r.findings[0]!.message).toMatch(/decompression budget/);
  });

  it('a member above the in-memory limit is reported, the others are scanned', async () => {
    const r = await scan7z('lzma2-7zz.7z', { maxInMemoryBytes: 3000 });
    expect(r.findings.map((f) => [f.rule, f.location.member])).toEqual([['archive-member-too-large', 'notes/zeros.bin']]);
    expect([...r.members.keys()].sort()).toEqual(['README.txt', 'weights/data.pkl']);
  });

  it('too many members for the limit: reported as incomplete, nothing scanned', async () => {
    const r = await scan7z('copy-7zz.7z', { maxMembers: 2 });
    expect(r.rules).toEqual(['scan-incomplete']);
    expect(r.members.size).toBe(0);
  });

  it('a header above maxMetadataBytes is not read', async () => {
    const r = await scan7z('copy-7zz.7z', { maxMetadataBytes: 50 });
    expect(r.rules).toEqual(['scan-incomplete']);
  });

  it('every rule is registered', () => {
    for (const id of ['archive-encrypted', 'archive-path-traversal', 'archive-symlink', 'archive-path-traversal', 'sevenzip-anti-item', 'archive-unsupported-method', 'archive-bomb', 'archive-member-too-large', 'archive-malformed']) {
      expect(RULES[id], id).toBeDefined();
    }
  });
});

describe('truncated and corrupt 7z', () => {
  it('a start header CRC mismatch is reported at offset 8', async () => {
    const bytes = readArchive('lzma2-7zz.7z').slice();
    bytes[20] ^= 1;
    const r = await scan7z(bytes);
    expect(r.rules).toEqual(['archive-malformed']);
    expect(r.findings[0]!.location.offset).toBe(8);
  });

  it('a truncated archive reports where the header should have been', async () => {
    const bytes = readArchive('lzma2-7zz.7z');
    for (const cut of [10, 31, 32, 100, bytes.length - 1]) {
      const r = await scan7z(bytes.subarray(0, cut));
      expect(r.rules, `cut at ${cut}`).toEqual(['archive-malformed']);
      expect(r.findings[0]!.message).toMatch(cut < 32 ? /signature header/ : /beyond the end/);
    }
  });

  it('a corrupted next header is caught by its CRC', async () => {
    const bytes = readArchive('copy-7zz.7z').slice();
    bytes[bytes.length - 5] ^= 0x40;
    const r = await scan7z(bytes);
    expect(r.rules).toEqual(['archive-malformed']);
    expect(r.findings[0]!.message).toMatch(/next header CRC32/);
  });

  it('a plain header that lies (CRC fixed up) is reported with the offset of the bad field', async () => {
    // Point kPackInfo's pack-stream count at an absurd value and recompute the header CRC.
    const bytes = readArchive('copy-7zz.7z').slice();
    const view = new DataView(bytes.buffer);
    const start = 32 + Number(view.getBigUint64(12, true));
    const size = Number(view.getBigUint64(20, true));
    expect([bytes[start], bytes[start + 1], bytes[start + 2]]).toEqual([0x01, 0x04, 0x06]);
    // kHeader, kMainStreamsInfo, kPackInfo, packPos (1 byte), count: make the count 0x7f.
    bytes[start + 4] = 0x7f;
    view.setUint32(28, crc32(bytes.subarray(start, start + size)), true);
    view.setUint32(8, crc32(bytes.subarray(12, 32)), true);
    const r = await scan7z(bytes);
    expect(r.rules).toEqual(['archive-malformed']);
    expect(r.findings[0]!.location.offset).toBeGreaterThanOrEqual(start);
  });

  it('damaged packed data in a solid folder is reported; members before the damage are still scanned', async () => {
    const bytes = readArchive('copy-7zz.7z').slice();
    // Copy: README.txt's bytes start at 32 and a member CRC now fails, but it is still scanned as decoded.
    bytes[40] ^= 0xff;
    const r = await scan7z(bytes);
    expect(r.rules).toEqual(['archive-malformed']);
    expect(r.findings[0]!.location.member).toBe('README.txt');
    expect(r.members.size).toBe(3);
  });

  it('damaged LZMA2 data is reported, not thrown', async () => {
    const clean = readArchive('lzma2-7zz.7z');
    for (let i = 32; i < 400; i += 37) {
      const bytes = clean.slice();
      bytes[i] ^= 0x5a;
      const r = await scan7z(bytes);
      for (const rule of r.rules) expect(['archive-malformed', 'scan-incomplete']).toContain(rule);
    }
  });
});

describe('7z folders whose data and sizes disagree', () => {
  it('BCJ-filtered data (py7zr default) round-trips; the member CRC proves it', async () => {
    const r = await scan7z('bcj-data-py7zr.7z');
    expect(r.findings).toEqual([]);
    expect(r.members.get('code.bin')!.length).toBe(12_000);
  });

  it('data shorter than declared: reported, and the member cut short is still scanned', async () => {
    const r = await scan7z('short-copy.7z');
    expect(r.rules).toEqual(['archive-malformed']);
    expect(r.findings[0]!.message).toMatch(/ends after 88 of its declared 188 bytes/);
    expect(r.members.get('a.pkl')!.length).toBe(44);
    expect(r.members.get('b.pkl')!.length).toBe(44);
  });

  it('data longer than declared: reported as corrupt', async () => {
    const r = await scan7z('long-copy.7z');
    expect(r.findings.map((f) => f.message)).toEqual([
      expect.stringMatching(/CRC32 of the decoded member/),
      expect.stringMatching(/decodes to more than its declared 78 bytes/),
    ]);
  });
});

describe('7z through real format detection', () => {
  it('nullifAI end to end: the pickle inside the 7z, and inside the zip inside it, is flagged', async () => {
    const { scanBytes } = await import('../support.js');
    const r = await scanBytes(readArchive('nullifai.7z'));
    expect(r.format).toBe('7z');
    const dangerous = r.findings.filter((f) => f.rule === 'pickle-dangerous-global').map((f) => f.location.member);
    expect(dangerous.sort()).toEqual(['model.pt!archive/data.pkl', 'payload.pkl']);
  });
});

import { describe, expect, it } from 'vitest';
import { benignPickle, osSystemPickle } from '../../../support/pickle-asm.js';
import { makeZip } from '../../../support/zip-writer.js';
import { BufferBlob } from '../../../../src/model/scan/blob.js';
import { scanBlob } from '../../../../src/model/scan/scan-file.js';
import { scanBytes } from '../support.js';

const scanFile = (bytes: Uint8Array) => scanBlob('t.zip', new BufferBlob(bytes));

const torch = (pkl: Uint8Array, extra: Parameters<typeof makeZip>[0] = []): Uint8Array =>
  makeZip([
    { name: 'archive/data.pkl', data: pkl },
    { name: 'archive/version', data: Buffer.from('3\n') },
    { name: 'archive/data/0', data: osSystemPickle() }, // tensor bytes are never read, whatever they contain
    ...extra,
  ]);

describe('zip scanner', () => {
  it('scans a torch checkpoint by its data.pkl and never reads data/', async () => {
    const r = await scanBytes(torch(benignPickle()));
    expect(r.format).toBe('pytorch-zip');
    expect(r.findings).toEqual([]);
  });

  it('finds a payload in data.pkl, naming the member', async () => {
    const r = await scanBytes(torch(osSystemPickle()));
    expect(r.rules).toEqual(['pickle-dangerous-global']);
    expect(r.findings[0]!.location.member).toBe('archive/data.pkl');
  });

  it('reads a deflated member', async () => {
    const r = await scanBytes(makeZip([{ name: 'model.pkl', data: osSystemPickle(), deflate: true }]));
    expect(r.rules).toEqual(['pickle-dangerous-global']);
  });

  it('reports a local-header name that differs from the directory (CVE-2025-1944) and still scans', async () => {
    const r = await scanBytes(makeZip([{ name: 'archive/data.pkl', localName: 'archive/xxxx.pkl', data: osSystemPickle() }]));
    expect(r.rules).toEqual(['pickle-dangerous-global', 'zip-name-mismatch']);
  });

  it('reads stored data whose flag claims encryption, as torch does (CVE-2025-1945)', async () => {
    const r = await scanBytes(makeZip([{ name: 'archive/data.pkl', flags: 1, data: osSystemPickle() }]));
    expect(r.rules).toEqual(['archive-encrypted', 'pickle-dangerous-global']);
  });

  it('reports a wrong CRC and still scans the member, as torch reads it (CVE-2025-10156)', async () => {
    const r = await scanBytes(makeZip([{ name: 'archive/data.pkl', badCrc: true, data: osSystemPickle() }]));
    expect(r.rules).toEqual(['pickle-dangerous-global', 'zip-crc-mismatch']);
    const deflated = await scanBytes(makeZip([{ name: 'a.pkl', badCrc: true, deflate: true, data: benignPickle() }]));
    expect(deflated.rules).toEqual(['zip-crc-mismatch']);
  });

  it('finds the archive after a junk prefix', async () => {
    const r = await scanBytes(makeZip([{ name: 'a/data.pkl', data: osSystemPickle() }], Buffer.from('junk junk junk')));
    expect(r.format).toBe('pytorch-zip');
    expect(r.rules).toEqual(['archive-prefix-data', 'pickle-dangerous-global']);
  });

  it('descends into a zip inside a zip', async () => {
    const inner = makeZip([{ name: 'evil.pkl', data: osSystemPickle() }]);
    const r = await scanBytes(makeZip([{ name: 'inner.zip', data: inner, deflate: true }]));
    expect(r.rules).toEqual(['pickle-dangerous-global']);
    expect(r.findings[0]!.location.member).toBe('inner.zip!evil.pkl');
  });

  it('flags traversal names, links that escape, and links that stay inside', async () => {
    const traversal = await scanBytes(makeZip([{ name: '../../etc/cron.d/x', data: Buffer.from('x') }]));
    expect(traversal.rules).toEqual(['archive-path-traversal']);
    const escaping = await scanBytes(makeZip([{ name: 'm/link', data: Buffer.from('../../etc/passwd'), mode: 0o120777 }]));
    expect(escaping.rules).toEqual(['archive-path-traversal']);
    expect(escaping.findings[0]!.message).toContain('../../etc/passwd');
    const inside = await scanBytes(makeZip([{ name: 'm/link', data: Buffer.from('weights.bin'), mode: 0o120777 }]));
    expect(inside.rules).toEqual(['archive-symlink']);
  });

  it('flags a member that declares a huge expansion, and one that inflates past the limit', async () => {
    const zeros = new Uint8Array(8 << 20);
    const declared = await scanBytes(makeZip([{ name: 'a.bin', data: zeros, deflate: true }]));
    expect(declared.rules).toEqual(['archive-bomb']);
    const lying = await scanBytes(makeZip([{ name: 'b.bin', data: zeros, deflate: true, declaredSize: 10 }]), { maxInMemoryBytes: 1 << 20 });
    expect(lying.rules).toContain('archive-bomb');
  });

  it('lists at most 100 findings of one rule per file and counts the rest', async () => {
    const names = Array.from({ length: 150 }, (_, i) => ({ name: `../x${i}`, data: Buffer.from('x') }));
    const r = await scanFile(makeZip(names));
    expect(r.findings).toHaveLength(101);
    expect(r.findings[100]!.message).toBe('50 more findings of this rule were not listed');
    expect(r.verdict).toBe('unsafe');
  });

  it('flags duplicate names', async () => {
    const r = await scanBytes(makeZip([{ name: 'x.pkl', data: benignPickle() }, { name: 'x.pkl', data: osSystemPickle() }]));
    expect(r.rules).toEqual(['pickle-dangerous-global', 'zip-duplicate-name']);
  });

  it('recognises npz archives', async () => {
    const npy = Buffer.concat([Buffer.from('\x93NUMPY\x01\x00', 'latin1'), Buffer.from([0x46, 0]), Buffer.from("{'descr': '<i1', 'fortran_order': False, 'shape': (3,), }".padEnd(69, ' ') + '\n'), Buffer.from([1, 2, 3])]);
    const r = await scanBytes(makeZip([{ name: 'a.npy', data: npy }]));
    expect(r.format).toBe('numpy-npz');
    expect(r.findings).toEqual([]);
  });

  it('reports a truncated directory as malformed, not a crash', async () => {
    const z = makeZip([{ name: 'a.pkl', data: benignPickle() }]);
    const cut = z.subarray(0, z.length - 30);
    const r = await scanBytes(Uint8Array.from([...Buffer.from('PK\x03\x04', 'latin1'), ...cut.subarray(4)]));
    expect(r.format).toBe('zip');
    expect(r.rules).toEqual(['archive-malformed']);
  });
});

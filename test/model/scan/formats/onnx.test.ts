import { closeSync, openSync, readFileSync, readdirSync, writeSync, ftruncateSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FileBlob, type Blob } from '../../../../src/model/scan/blob.js';
import { HEAD_BYTES } from '../../../../src/model/scan/detect.js';
import { badRange, unsafeLocationReasons } from '../../../../src/model/scan/formats/onnx-external-data.js';
import { MAX_GRAPH_DEPTH, looksLikeOnnx, scanOnnx } from '../../../../src/model/scan/formats/onnx.js';
import { tempDir } from '../../../support/tmp.js';
import { scanBytes, scanWith } from '../support.js';
import { bytes, int, msg, str, tag, varint } from './proto-encode.js';

const FIXTURES = join(import.meta.dirname, '..', '..', '..', 'fixtures', 'model', 'onnx');
const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(join(FIXTURES, name)));

// onnx.proto field numbers, as the scanner uses them.
const model = (...parts: Uint8Array[]) => msg(int(1, 8), str(2, 'test'), ...parts);
const graph = (...parts: Uint8Array[]) => bytes(7, msg(str(2, 'g'), ...parts));
const nodeProto = (name: string, opType: string, domain = '', ...attrs: Uint8Array[]) =>
  msg(str(3, name), str(4, opType), ...attrs.map((a) => bytes(5, a)), domain === '' ? new Uint8Array() : str(7, domain));
const node = (name: string, opType: string, domain = '', ...attrs: Uint8Array[]) => bytes(1, nodeProto(name, opType, domain, ...attrs));
const attrGraph = (name: string, ...graphParts: Uint8Array[]) => msg(str(1, name), bytes(6, msg(...graphParts)));
const externalTensor = (name: string, location: string, offset = '0', length = '16') =>
  bytes(
    5,
    msg(
      int(2, 1),
      str(8, name),
      ...[
        ['location', location],
        ['offset', offset],
        ['length', length],
      ].map(([k, v]) => bytes(13, msg(str(1, k!), str(2, v!)))),
      int(14, 1),
    ),
  );

// These tests count findings per rule, so `rules` is the per-finding list.
const scan = (data: Uint8Array | Blob) => scanWith(scanOnnx, data).then((r) => ({ ...r, rules: r.everyRule }));

describe('looksLikeOnnx', () => {
  it('recognises every ONNX fixture and dispatches it to the ONNX scanner', async () => {
    for (const name of readdirSync(FIXTURES).filter((n) => n.endsWith('.onnx'))) {
      const data = fixture(name);
      expect(looksLikeOnnx(data.subarray(0, HEAD_BYTES), data.length), name).toBe(true);
      expect((await scanBytes(data)).format, name).toBe('onnx');
    }
  });

  it('does not claim SavedModels, text or near misses', () => {
    const savedmodels = join(FIXTURES, '..', 'savedmodel');
    for (const name of readdirSync(savedmodels).filter((n) => n.endsWith('.pb'))) {
      const data = new Uint8Array(readFileSync(join(savedmodels, name)));
      expect(looksLikeOnnx(data.subarray(0, HEAD_BYTES), data.length), name).toBe(false);
    }
    const text = new TextEncoder().encode('\bhello world, not a model at all');
    expect(looksLikeOnnx(text, text.length)).toBe(false);
    expect(looksLikeOnnx(new Uint8Array(), 0)).toBe(false);
    // ir_version alone is not enough, nor an absurd IR version, nor a known field with the wrong wire type.
    expect(looksLikeOnnx(Uint8Array.of(0x08, 0x07), 2)).toBe(false);
    const huge = model(graph()).slice();
    huge[1] = 0x7f;
    expect(looksLikeOnnx(huge, huge.length)).toBe(false);
    expect(looksLikeOnnx(msg(int(1, 8), int(7, 1)), 4)).toBe(false);
    expect(looksLikeOnnx(msg(int(1, 8), str(9, 'x')), 5)).toBe(false);
    // A field added by a later ONNX release does not stop recognition.
    expect(looksLikeOnnx(msg(int(1, 8), str(2, 'exporter'), str(30, 'new')), 20)).toBe(true);
    // producer_name must be plain text (a SavedModel's field 2 is a binary MetaGraphDef).
    expect(looksLikeOnnx(msg(int(1, 1), bytes(2, msg(bytes(1, msg(str(4, 'serve')))))), 12)).toBe(false);
  });

  it('still recognises a truncated model, so the scanner can say where it breaks', () => {
    const data = fixture('benign-mlp.onnx').subarray(0, 100);
    expect(looksLikeOnnx(data, data.length)).toBe(true);
  });
});

describe('scanOnnx on fixtures', () => {
  const expected: Record<string, string[]> = {
    'torch-export.onnx': [],
    'torch-external.onnx': [],
    'benign-mlp.onnx': [],
    'benign-external.onnx': [],
    'local-function.onnx': [],
    'external-traversal.onnx': ['onnx-external-data-traversal'],
    'external-absolute.onnx': ['onnx-external-data-traversal', 'onnx-external-data-traversal'],
    'external-in-subgraph.onnx': ['onnx-external-data-traversal'],
    'external-range.onnx': ['onnx-external-data-range', 'onnx-external-data-range'],
    'custom-domain.onnx': ['onnx-custom-op-domain'],
    'pyop.onnx': ['onnx-python-op'],
  };
  for (const [name, rules] of Object.entries(expected)) {
    it(`${name} → ${rules.length === 0 ? 'no finding' : rules.join(', ')}`, async () => {
      const r = await scan(fixture(name));
      expect(r.format).toBe('onnx');
      expect(r.rules).toEqual(rules);
      for (const f of r.findings) expect(f.location.offset).toBeGreaterThan(0);
    });
  }

  it('names the path, the tensor and the reason', async () => {
    const { findings } = await scan(fixture('external-absolute.onnx'));
    expect(findings.map((f) => f.message)).toEqual([
      expect.stringMatching(/tensor 'passwd' .* '\/etc\/passwd', which is an absolute path/),
      expect.stringMatching(/tensor 'winini' .*'C:\\Windows\\win\.ini', which names a drive, uses a backslash/),
    ]);
    const sub = await scan(fixture('external-in-subgraph.onnx'));
    expect(sub.findings[0]!.message).toContain("'weights/../../secret.bin'");
  });

  it('names the Python target of a PyOp and the domain of a custom op', async () => {
    expect((await scan(fixture('pyop.onnx'))).findings[0]!.message).toContain("'subprocess.Popen.communicate'");
    expect((await scan(fixture('custom-domain.onnx'))).findings[0]!.message).toMatch(/'Exfiltrate' from custom domain 'com\.example\.evil'/);
  });
});

describe('external data checks', () => {
  it('accepts plain relative paths', () => {
    for (const ok of ['weights.bin', 'model.onnx.data', 'sub/dir/w.bin', 'a..b.bin', '...', 'x/..y/z']) {
      expect(unsafeLocationReasons(ok), ok).toEqual([]);
    }
  });

  it('rejects every way out of the model folder', () => {
    const cases: [string, RegExp][] = [
      ['../secret', /'\.\.'/],
      ['a/b/../../../c', /'\.\.'/],
      ['..', /'\.\.'/],
      ['/etc/passwd', /absolute/],
      ['\\\\server\\share\\x', /absolute.*backslash|backslash.*absolute/],
      ['C:\\Windows\\win.ini', /drive/],
      ['c:/x', /drive/],
      ['file:///etc/passwd', /URL scheme/],
      ['https://evil.example/w.bin', /URL scheme/],
      ['w.bin\0../../etc/passwd', /NUL/],
      ['sub\\..\\..\\x', /backslash/],
    ];
    for (const [location, why] of cases) expect(unsafeLocationReasons(location).join(', '), location).toMatch(why);
  });

  it('validates offset and length as non-negative int64 decimals', () => {
    expect(badRange('0', '64')).toBeUndefined();
    expect(badRange(undefined, undefined)).toBeUndefined();
    expect(badRange('9223372036854775807', undefined)).toBeUndefined();
    expect(badRange('-1', '4')).toMatch(/offset '-1'/);
    expect(badRange('0x10', '4')).toMatch(/offset/);
    expect(badRange(' 5', '4')).toMatch(/offset/);
    expect(badRange('0', '9223372036854775808')).toMatch(/length/);
    expect(badRange('9223372036854775000', '1000')).toMatch(/overflows/);
  });

  it('reports one finding per location and caps a flood', async () => {
    const same = Array.from({ length: 50 }, (_, i) => externalTensor(`t${i}`, '../x'));
    expect((await scan(model(graph(...same)))).findings).toHaveLength(1);
    const distinct = Array.from({ length: 100 }, (_, i) => externalTensor(`t${i}`, `../x${i}`));
    const { findings } = await scan(model(graph(...distinct)));
    expect(findings).toHaveLength(21);
    expect(findings[20]!.message).toMatch(/80 more findings/);
  });

  it('finds external data in attribute tensors and sparse initializers', async () => {
    const constant = node('const', 'Constant', '', msg(str(1, 'value'), bytes(5, externalTensor('v', '/abs').subarray(2))));
    const sparse = bytes(15, msg(bytes(1, externalTensor('values', '../../s').subarray(2))));
    const { findings } = await scan(model(graph(constant, sparse)));
    expect(findings.map((f) => f.message)).toEqual([expect.stringContaining("'/abs'"), expect.stringContaining("'../../s'")]);
  });
});

describe('operator domains', () => {
  it('accepts the ONNX and ONNX Runtime built-in domains', async () => {
    const nodes = ['', 'ai.onnx', 'ai.onnx.ml', 'ai.onnx.training', 'ai.onnx.preview.training', 'com.microsoft', 'com.microsoft.nchwc'].map(
      (d, i) => node(`n${i}`, 'Op', d),
    );
    expect((await scan(model(graph(...nodes)))).findings).toEqual([]);
  });

  it('counts nodes of one custom op once', async () => {
    const nodes = Array.from({ length: 5 }, (_, i) => node(`n${i}`, 'Mine', 'org.example'));
    const { findings } = await scan(model(graph(...nodes)));
    expect(findings).toHaveLength(1);
    expect(findings[0]!.message).toContain('(5 nodes)');
  });

  it('flags ONNX Runtime training PythonOp only in com.microsoft', async () => {
    const py = node('p', 'PythonOp', 'com.microsoft', msg(str(1, 'func_name'), str(4, 'evil.Function')));
    const { findings } = await scan(model(graph(py)));
    expect(findings.map((f) => f.rule)).toEqual(['onnx-python-op']);
    expect(findings[0]!.message).toContain("'evil.Function'");
  });

  it('walks training_info graphs and model functions', async () => {
    const training = bytes(20, msg(bytes(2, msg(node('t', 'Step', 'org.train')))));
    // FunctionProto keeps its nodes in field 7.
    const fn = bytes(25, msg(str(1, 'F'), str(10, 'org.fn'), bytes(7, nodeProto('inner', 'Leak', 'org.other'))));
    const { findings } = await scan(model(graph(), training, fn));
    expect(findings.map((f) => f.message)).toEqual([expect.stringContaining("'org.train'"), expect.stringContaining("'org.other'")]);
  });
});

describe('subgraph nesting', () => {
  /** A graph nested `levels` deep through If/then_branch attributes, with `leaf` in the innermost graph. */
  function nested(levels: number, leaf: Uint8Array): Uint8Array {
    let inner = leaf;
    for (let i = 0; i < levels; i++) inner = node(`if${i}`, 'If', '', attrGraph('then_branch', str(2, `g${i}`), inner));
    return model(graph(inner));
  }

  it(`walks subgraphs down to ${MAX_GRAPH_DEPTH} levels`, async () => {
    const r = await scan(nested(MAX_GRAPH_DEPTH, externalTensor('deep', '../../deep')));
    expect(r.rules).toEqual(['onnx-external-data-traversal']);
  });

  it('reports nesting beyond the bound once and does not descend', async () => {
    const r = await scan(nested(MAX_GRAPH_DEPTH + 5, externalTensor('deeper', '../../deeper')));
    expect(r.rules).toEqual(['onnx-graph-too-deep']);
  });
});

describe('malformed models', () => {
  it('reports a truncated model with the offset where it breaks', async () => {
    const data = fixture('benign-mlp.onnx');
    const r = await scanBytes(data.subarray(0, 200));
    expect(r.format).toBe('onnx');
    expect(r.rules).toEqual(['onnx-parse-error']);
    expect(r.findings[0]!.location.offset).toBeDefined();
  });

  it('reports a group or an invalid wire type inside the graph, keeping earlier findings', async () => {
    const bad = model(graph(externalTensor('t', '/etc/passwd'), msg(tag(3, 3))));
    const r = await scan(bad);
    expect(r.rules).toEqual(['onnx-external-data-traversal', 'onnx-parse-error']);
    expect(r.findings[1]!.message).toMatch(/group wire type/);
  });

  it('keeps findings that depend on the whole file when parsing stops early', async () => {
    const r = await scan(msg(model(graph(node('n', 'X', 'org.x'))), tag(2, 7)));
    expect(r.rules).toEqual(['onnx-custom-op-domain', 'onnx-parse-error']);
  });
});

/** A blob of `size` bytes that are zero except for the given pieces; counts what is read. */
class SparseBlob implements Blob {
  bytesRead = 0;
  constructor(
    readonly size: number,
    private readonly pieces: [number, Uint8Array][],
  ) {}

  async read(offset: number, length: number): Promise<Uint8Array> {
    const n = Math.max(0, Math.min(length, this.size - offset));
    this.bytesRead += n;
    const out = new Uint8Array(n);
    for (const [at, piece] of this.pieces) {
      const from = Math.max(at, offset);
      const to = Math.min(at + piece.length, offset + n);
      if (from < to) out.set(piece.subarray(from - at, to - at), from - offset);
    }
    return out;
  }
}

/** ONNX bytes around a 1 GB raw_data payload: [head][1 GB of zeros][tail], the tail holding a custom-domain node. */
function gigabyteModel(): { head: Uint8Array; tail: Uint8Array; size: number } {
  const GB = 1 << 30;
  const tail = node('after_weights', 'Leak', 'org.after');
  const tensorHead = msg(int(1, GB / 4), int(2, 1), str(8, 'big'), tag(9, 2), varint(GB));
  const initializer = msg(tag(5, 2), varint(tensorHead.length + GB), tensorHead);
  const graphLength = initializer.length + GB + tail.length;
  const head = msg(int(1, 8), str(2, 'pytorch'), str(3, '2.1.0'), tag(7, 2), varint(graphLength), initializer);
  return { head, tail, size: head.length + GB + tail.length };
}

describe('performance', () => {
  it('scans a model with a 1 GB initializer by reading its headers only', async () => {
    const { head, tail, size } = gigabyteModel();
    const blob = new SparseBlob(size, [
      [0, head],
      [size - tail.length, tail],
    ]);
    const started = performance.now();
    const r = await scanBytes(blob);
    const ms = performance.now() - started;
    expect(r.format).toBe('onnx');
    // The node after the weights was reached: the walk skipped the payload instead of stopping at it.
    expect(r.rules).toEqual(['onnx-custom-op-domain']);
    expect(blob.bytesRead).toBeLessThan(512 * 1024);
    expect(ms).toBeLessThan(1000);
  });

  it('does the same on a real sparse file through FileBlob', async () => {
    const { head, tail, size } = gigabyteModel();
    const path = join(tempDir(), 'big.onnx');
    const fd = openSync(path, 'w');
    try {
      ftruncateSync(fd, size);
      writeSync(fd, head, 0, head.length, 0);
      writeSync(fd, tail, 0, tail.length, size - tail.length);
    } finally {
      closeSync(fd);
    }
    const blob = await FileBlob.open(path);
    try {
      const started = performance.now();
      const r = await scanBytes(blob);
      expect(r.rules).toEqual(['onnx-custom-op-domain']);
      expect(performance.now() - started).toBeLessThan(1000);
    } finally {
      await blob.close();
    }
  });
});

describe('property: hostile bytes', () => {
  it('mutated fixtures always scan to a result (errors become findings)', async () => {
    const seeds = readdirSync(FIXTURES)
      .filter((n) => n.endsWith('.onnx'))
      .map(fixture);
    await fc.assert(
      fc.asyncProperty(
        fc.nat(seeds.length - 1),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        fc.nat(),
        async (which, edits, cut) => {
          const data = seeds[which]!.slice(0, Math.max(2, seeds[which]!.length - (cut % 64)));
          for (const [at, value] of edits) data[at % data.length] = value;
          const r = await scan(data);
          expect(r.format).toBe('onnx');
        },
      ),
      { seed: 42, numRuns: 300 },
    );
  });

  it('random bytes after an ONNX-looking start always scan to a result', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async (tailBytes) => {
        await scan(msg(int(1, 8), tailBytes));
      }),
      { seed: 42, numRuns: 300 },
    );
  });
});

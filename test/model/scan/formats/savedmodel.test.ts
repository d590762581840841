import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BufferBlob } from '../../../../src/model/scan/blob.js';
import { HEAD_BYTES } from '../../../../src/model/scan/detect.js';
import { checkKerasMetadata } from '../../../../src/model/scan/formats/savedmodel-keras.js';
import { collectSavedModelOps, looksLikeSavedModel, scanSavedModel } from '../../../../src/model/scan/formats/savedmodel.js';
import type { ScanLimits } from '../../../../src/model/scan/limits.js';
import { makeContext, scanBytes, scanWith } from '../support.js';
import { bytes, int, msg, str, tag } from './proto-encode.js';

const FIXTURES = join(import.meta.dirname, '..', '..', '..', 'fixtures', 'model', 'savedmodel');
const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(join(FIXTURES, name)));

// Field numbers from TensorFlow's protos (see src/model/scan/formats/savedmodel.ts).
const attr = (key: string, value: Uint8Array) => bytes(5, msg(str(1, key), bytes(2, value)));
const s = (v: string) => str(2, v); // AttrValue.s
const func = (name: string) => bytes(10, str(1, name)); // AttrValue.func = NameAttrList{name}
const listS = (...v: string[]) => bytes(1, msg(...v.map((x) => str(2, x)))); // AttrValue.list.s
const nodeDef = (name: string, op: string, ...attrs: Uint8Array[]) => msg(str(1, name), str(2, op), ...attrs);
const fn = (name: string, ...nodes: Uint8Array[]) => msg(bytes(1, str(1, name)), ...nodes.map((n) => bytes(3, n)));
const graphDef = (nodes: Uint8Array[], functions: Uint8Array[] = []) =>
  msg(...nodes.map((n) => bytes(1, n)), functions.length === 0 ? new Uint8Array() : bytes(2, msg(...functions.map((f) => bytes(1, f)))));
const metaInfo = bytes(1, msg(str(4, 'serve'), str(5, '2.15.0')));
const saverDef = (save: string, restore: string) => bytes(3, msg(str(1, 'saver_filename:0'), str(2, save), str(3, restore)));
const metaGraph = (graph: Uint8Array, ...rest: Uint8Array[]) => msg(metaInfo, bytes(2, graph), ...rest);
const savedModel = (...metaGraphs: Uint8Array[]) => msg(int(1, 1), ...metaGraphs.map((m) => bytes(2, m)));

// These tests count findings per rule, so `rules` is the per-finding list.
const scan = (data: Uint8Array, limits: Partial<ScanLimits> = {}) => scanWith(scanSavedModel, data, limits).then((r) => ({ ...r, rules: r.everyRule }));

describe('looksLikeSavedModel', () => {
  it('recognises every SavedModel and keras_metadata.pb fixture and dispatches it', async () => {
    for (const name of readdirSync(FIXTURES).filter((n) => n.endsWith('.pb'))) {
      const data = fixture(name);
      expect(looksLikeSavedModel(data.subarray(0, HEAD_BYTES), data.length), name).toBe(true);
      expect((await scanBytes(data)).format, name).toBe('tf-savedmodel');
    }
  });

  it('does not claim ONNX models, fingerprint.pb, text or empty files', () => {
    const onnx = join(FIXTURES, '..', 'onnx');
    for (const name of readdirSync(onnx).filter((n) => n.endsWith('.onnx'))) {
      const data = new Uint8Array(readFileSync(join(onnx, name)));
      expect(looksLikeSavedModel(data.subarray(0, HEAD_BYTES), data.length), name).toBe(false);
    }
    // fingerprint.pb in the same folder: FingerprintDef {saved_model_checksum = 1, graph_def_program_hash = 2, …}
    const fingerprint = msg(int(1, 123456789), int(2, 987654321), int(3, 5), int(4, 6));
    expect(looksLikeSavedModel(fingerprint, fingerprint.length)).toBe(false);
    const text = new TextEncoder().encode('\b\u0001\u0012 not a protobuf at all, just text');
    expect(looksLikeSavedModel(text, text.length)).toBe(false);
    expect(looksLikeSavedModel(new Uint8Array(), 0)).toBe(false);
    // keras_metadata.pb look-alike without the _tf_keras identifier.
    const other = bytes(1, msg(str(3, 'root'), str(4, 'something_else')));
    expect(looksLikeSavedModel(other, other.length)).toBe(false);
  });

  it('accepts a SavedModel whose schema version was omitted (proto3 default)', () => {
    const data = msg(bytes(2, metaGraph(graphDef([nodeDef('x', 'Placeholder')]))));
    expect(looksLikeSavedModel(data, data.length)).toBe(true);
  });
});

describe('scanSavedModel on fixtures', () => {
  const expected: Record<string, string[]> = {
    'benign-tf2.pb': [],
    'benign-tf1.pb': [],
    'vocab-with-assets.pb': [],
    'vocab-without-assets.pb': ['savedmodel-file-read-op'],
    'file-ops.pb': ['savedmodel-file-read-op', 'savedmodel-file-read-op', 'savedmodel-file-read-op', 'savedmodel-file-write-op', 'savedmodel-file-write-op'],
    'python-ops.pb': ['savedmodel-python-op', 'savedmodel-python-op'],
    'network-ops.pb': ['savedmodel-network-op', 'savedmodel-network-op'],
    'checkpoint-misuse.pb': ['savedmodel-checkpoint-op', 'savedmodel-checkpoint-op'],
    'keras-lambda.pb': ['savedmodel-keras-lambda'],
    'keras_metadata-benign.pb': [],
    'keras_metadata-lambda.pb': ['savedmodel-keras-lambda'],
  };
  for (const [name, rules] of Object.entries(expected)) {
    it(`${name} → ${rules.length === 0 ? 'no finding' : [...new Set(rules)].join(', ')}`, async () => {
      const r = await scan(fixture(name));
      expect(r.format).toBe('tf-savedmodel');
      expect(r.rules).toEqual(rules);
      for (const f of r.findings) expect(f.location.offset).toBeGreaterThan(0);
    });
  }

  it('names the op, the node and where it sits', async () => {
    const messages = (await scan(fixture('file-ops.pb'))).findings.map((f) => f.message);
    expect(messages).toContainEqual(expect.stringMatching(/op 'ReadFile' \(node 'ReadFile' in function '__inference__wrapped_model_60'\) reads/));
    expect(messages).toContainEqual(expect.stringMatching(/op 'WriteFile' \(node 'dropper' in the main graph\) writes local files/));
    expect(messages).toContainEqual(expect.stringContaining("output_stream 'file:///tmp/leak.txt'"));
    const misuse = (await scan(fixture('checkpoint-misuse.pb'))).findings.map((f) => f.message);
    expect(misuse).toContainEqual(expect.stringMatching(/'SaveV2' \(node 'plant' in function '__inference__traced_restore_140', outside the saver's save path\)/));
    const lambda = (await scan(fixture('keras_metadata-lambda.pb'))).findings[0]!.message;
    expect(lambda).toMatch(/Lambda layer 'lambda' \(root\) stores marshalled Python bytecode/);
  });

  it('lists every op of the graph and its functions', async () => {
    const { ctx } = makeContext();
    const ops = await collectSavedModelOps(new BufferBlob(fixture('benign-tf2.pb')), ctx);
    for (const op of ['Placeholder', 'VarHandleOp', 'StatefulPartitionedCall', 'MatMul', 'Relu', 'PrintV2', 'SaveV2', 'MergeV2Checkpoints', 'RestoreV2']) {
      expect(ops.has(op), op).toBe(true);
    }
    expect(ops.get('StatefulPartitionedCall')).toBe(4);
  });
});

describe('checkpoint ops and the saver', () => {
  const save = (...extra: Uint8Array[]) => fn('save_fn', nodeDef('SaveV2', 'SaveV2'), nodeDef('merge', 'MergeV2Checkpoints'), ...extra);
  const restore = fn('restore_fn', nodeDef('RestoreV2', 'RestoreV2'));

  it('flags checkpoint ops in a graph that names no saver', async () => {
    const r = await scan(savedModel(metaGraph(graphDef([nodeDef('w', 'SaveV2'), nodeDef('r', 'RestoreV2')]))));
    expect(r.rules).toEqual(['savedmodel-checkpoint-op', 'savedmodel-checkpoint-op']);
  });

  it("allows them under a TF1 saver's name scope only", async () => {
    const graph = graphDef([nodeDef('save_1/SaveV2', 'SaveV2'), nodeDef('save_1/RestoreV2', 'RestoreV2'), nodeDef('other/SaveV2', 'SaveV2')]);
    const r = await scan(savedModel(metaGraph(graph, saverDef('save_1/Identity:0', 'save_1/restore_all'))));
    expect(r.findings.map((f) => f.message)).toEqual([expect.stringContaining("node 'other/SaveV2' in the main graph")]);
  });

  it('follows calls from the saver entries through attrs and direct calls, transitively', async () => {
    const graph = graphDef(
      [nodeDef('call_save', 'StatefulPartitionedCall', attr('f', func('save_outer'))), nodeDef('call_restore', 'restore_fn')],
      [fn('save_outer', nodeDef('inner', 'PartitionedCall', attr('f', func('save_fn')))), save(), restore],
    );
    const r = await scan(savedModel(metaGraph(graph, saverDef('call_save:0', '^call_restore'))));
    expect(r.findings).toEqual([]);
  });

  it('flags a write on the restore path and a read on the save path', async () => {
    const graph = graphDef(
      [nodeDef('call_save', 'StatefulPartitionedCall', attr('f', func('save_fn'))), nodeDef('call_restore', 'StatefulPartitionedCall', attr('f', func('restore_fn')))],
      [save(nodeDef('peek', 'RestoreV2')), fn('restore_fn', nodeDef('RestoreV2', 'RestoreV2'), nodeDef('drop', 'SaveV2'))],
    );
    const r = await scan(savedModel(metaGraph(graph, saverDef('call_save:0', 'call_restore'))));
    expect(r.findings.map((f) => f.message).sort()).toEqual([
      expect.stringContaining("'RestoreV2' (node 'peek' in function 'save_fn', outside the saver's restore path)"),
      expect.stringContaining("'SaveV2' (node 'drop' in function 'restore_fn', outside the saver's save path)"),
    ]);
  });
});

describe('ops judged by their attrs', () => {
  const oneNode = (n: Uint8Array) => scan(savedModel(metaGraph(graphDef([n]))));

  it('PrintV2 only when it prints to a file', async () => {
    expect((await oneNode(nodeDef('p', 'PrintV2', attr('output_stream', s('stderr'))))).findings).toEqual([]);
    expect((await oneNode(nodeDef('p', 'PrintV2', attr('output_stream', s('log(info)'))))).findings).toEqual([]);
    expect((await oneNode(nodeDef('p', 'PrintV2', attr('output_stream', s('file:///tmp/x'))))).rules).toEqual(['savedmodel-file-write-op']);
  });

  it('debug ops by their URLs', async () => {
    expect((await oneNode(nodeDef('d', 'DebugIdentity', attr('debug_urls', listS()))))).toMatchObject({ findings: [] });
    expect((await oneNode(nodeDef('d', 'DebugNanCount', attr('debug_urls', listS('file:///tmp/dump'))))).rules).toEqual(['savedmodel-file-write-op']);
    const copy = nodeDef('c', 'Copy', attr('debug_ops_spec', listS('DebugIdentity;grpc://10.0.0.1:6064;0')));
    expect((await oneNode(copy)).rules).toEqual(['savedmodel-network-op']);
  });

  it('proto ops by their descriptor source', async () => {
    expect((await oneNode(nodeDef('d', 'DecodeProtoV2', attr('descriptor_source', s('local://'))))).findings).toEqual([]);
    expect((await oneNode(nodeDef('d', 'DecodeProtoV2', attr('descriptor_source', s('bytes://\n\u0001x'))))).findings).toEqual([]);
    expect((await oneNode(nodeDef('d', 'EncodeProto', attr('descriptor_source', s('/etc/protos.desc'))))).rules).toEqual(['savedmodel-file-read-op']);
  });

  it('ignores tensors and unwatched string attrs', async () => {
    const big = bytes(8, new Uint8Array(100_000)); // AttrValue.tensor: skipped unread
    const r = await oneNode(nodeDef('c', 'Const', attr('value', big), attr('message', s('file:///not/an/output'))));
    expect(r.findings).toEqual([]);
  });

  it('scans every meta graph', async () => {
    const r = await scan(savedModel(metaGraph(graphDef([nodeDef('a', 'Relu')])), metaGraph(graphDef([nodeDef('b', 'ReadFile')]))));
    expect(r.rules).toEqual(['savedmodel-file-read-op']);
  });
});

describe('Keras metadata', () => {
  const lambda = (name: string, type: string, extra: Record<string, unknown> = {}) => ({
    class_name: 'Lambda',
    config: { name, function_type: type, function: type === 'lambda' ? ['4wEAAAAA', null, null] : 'my_fn', module: 'mymod', ...extra },
  });

  it('finds Lambda layers at any depth, once per name', () => {
    const doc = { class_name: 'Functional', config: { layers: [lambda('l1', 'lambda'), { class_name: 'Dense' }, lambda('l1', 'lambda'), lambda('l2', 'function')] } };
    expect(checkKerasMetadata(JSON.stringify(doc))).toEqual([
      { name: 'l2', detail: "a reference to the Python function 'mymod.my_fn'" },
      { name: 'l1', detail: 'marshalled Python bytecode' },
    ]);
  });

  it('sees through JSON escapes and falls back to the marker in broken JSON', () => {
    expect(checkKerasMetadata('{"class_name": "\\u004cambda", "config": {"name": "x"}}')).toEqual([{ name: 'x', detail: 'a Python function' }]);
    expect(checkKerasMetadata('{"class_name": "Lambda", oops')).toHaveLength(1);
    expect(checkKerasMetadata('{"class_name": "Dense"} trailing')).toEqual([]);
    expect(checkKerasMetadata('{"class_name": "TFOpLambda", "config": {"function": "math.add"}}')).toEqual([]);
  });

  it('survives deeply nested and huge documents', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    expect(checkKerasMetadata(deep)).toEqual([]);
    const wide = JSON.stringify(Array.from({ length: 200_000 }, () => ({ a: [1] })));
    expect(checkKerasMetadata(wide)).toEqual([]);
  });

  it('reports metadata over the size limit as not analysed', async () => {
    const r = await scan(fixture('keras-lambda.pb'), { maxMetadataBytes: 64 });
    expect(r.rules).toContain('scan-incomplete');
    expect(r.rules).not.toContain('savedmodel-keras-lambda');
  });
});

describe('malformed SavedModels', () => {
  it('reports a truncated file with the offset where it breaks', async () => {
    const data = fixture('benign-tf2.pb').subarray(0, 1500);
    const r = await scanBytes(data);
    expect(r.format).toBe('tf-savedmodel');
    expect(r.rules).toEqual(['savedmodel-parse-error']);
    expect(r.findings[0]!.location.offset).toBeGreaterThan(0);
  });

  it('keeps findings made before the break', async () => {
    const data = msg(savedModel(metaGraph(graphDef([nodeDef('x', 'PyFunc')]))), tag(5, 6));
    const r = await scan(data);
    expect(r.rules).toEqual(['savedmodel-parse-error', 'savedmodel-python-op']);
  });
});

describe('property: hostile bytes', () => {
  it('mutated fixtures always scan to a result (errors become findings)', async () => {
    const seeds = readdirSync(FIXTURES)
      .filter((n) => n.endsWith('.pb'))
      .map(fixture);
    await fc.assert(
      fc.asyncProperty(
        fc.nat(seeds.length - 1),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        fc.nat(),
        async (which, edits, cut) => {
          const data = seeds[which]!.slice(0, Math.max(4, seeds[which]!.length - (cut % 128)));
          for (const [at, value] of edits) data[at % data.length] = value;
          expect((await scan(data)).format).toBe('tf-savedmodel');
        },
      ),
      { seed: 42, numRuns: 300 },
    );
  });

  it('random bytes after a SavedModel-looking start always scan to a result', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async (tailBytes) => {
        await scan(msg(int(1, 1), tag(2, 2), tailBytes));
      }),
      { seed: 42, numRuns: 300 },
    );
  });
});

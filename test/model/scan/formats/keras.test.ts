import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BufferBlob, type Blob } from '../../../../src/model/scan/blob.js';
import { ScanContext } from '../../../../src/model/scan/context.js';
import { scanHdf5, scanKerasConfig, scanKerasConfigDeep } from '../../../../src/model/scan/formats/keras.js';
import { replaceNonFinite } from '../../../../src/model/scan/formats/keras-json.js';
import { summariseBytecode, decodeBase64 } from '../../../../src/model/scan/formats/keras-bytecode.js';
import { DEFAULT_LIMITS } from '../../../../src/model/scan/limits.js';
import { defaultPolicy } from '../../../../src/model/scan/pickle/default-policy.js';
import { RULES } from '../../../../src/model/scan/rules.js';
import type { ScanFinding } from '../../../../src/model/scan/types.js';
import { makeContext, scanBytes } from '../support.js';
import { attributeBody, dataspace, datatype, fixedStringAttribute, H5Builder, le, MSG, v1Header } from './hdf5-builder.js';

const FIXTURES = join(import.meta.dirname, '../../../fixtures/model/keras');
const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(join(FIXTURES, name)));

/** Runs scanKerasConfig on a config (object or raw text) and returns the findings. */
function config(value: unknown, limits = {}): ScanFinding[] {
  const { ctx, findings } = makeContext(limits);
  const bytes = value instanceof Uint8Array ? value : Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));
  scanKerasConfig(bytes, ctx);
  return findings;
}
const rules = (findings: ScanFinding[]): string[] => [...new Set(findings.map((f) => f.rule))].sort();

/** A Keras 2 style Sequential around `layers`. */
const seq = (...layers: unknown[]): unknown => ({ class_name: 'Sequential', config: { name: 'sequential', layers } });
const layer = (class_name: string, config: Record<string, unknown>, extra: Record<string, unknown> = {}): unknown => ({
  class_name,
  config: { name: `${class_name.toLowerCase()}_1`, ...config },
  ...extra,
});
const k3 = (module: string, class_name: string, config: unknown, registered_name: string | null = null): unknown => ({ module, class_name, config, registered_name });

/** An .h5 whose root holds the given fixed-string attributes. */
function h5(attrs: [string, string][]): Uint8Array {
  const b = new H5Builder();
  return b.finish(b.place(v1Header(attrs.map(([n, v]) => ({ type: MSG.attribute, body: fixedStringAttribute(n, v) })))));
}

// Real marshalled lambdas from public tf.keras 2.x models (a CTF model; Python 3.8 and 3.10 bytecode).
const PY38_PRINT = '4wEAAAAAAAAAAAAAAAEAAAACAAAAQwAAAHMMAAAAdABkAYMBAQB8AFMAKQJO2g1TRlJDZTI0d2RG\nOXpiKQHaBXByaW50KQHaAXipAHIEAAAA+h88aXB5dGhvbi1pbnB1dC0xMS1kNTY5YzRhOTUyYjQ+\n2gltYWxpY2lvdXMCAAAAcwQAAAAAAQgB\n';
const PY310_ENVIRON = '4wEAAAAAAAAAAAAAAAEAAAAEAAAAQwAAAHMSAAAAdABqAaACZAFkAqECZwFnAVMAKQNO2gRGTEFH\n+glub3QgZm91bmQpA9oCb3PaB2Vudmlyb27aA2dldCkB2gF4qQByBwAAAPoQL3dvcmsvZXhwbG9p\ndC5wedoIPGxhbWJkYT4FAAAAcwIAAAASAA==\n';

describe('scanHdf5 on Keras .h5 files', () => {
  it.each([
    ['sequential.h5', 'keras-h5', []],
    ['functional.h5', 'keras-h5', []],
    ['userblock.h5', 'keras-h5', []],
    ['many-attributes.h5', 'keras-h5', []],
    ['model.weights.h5', 'hdf5', []],
    ['lambda.h5', 'keras-h5', ['keras-lambda-bytecode']],
    ['lambda-os.h5', 'keras-h5', ['keras-lambda-bytecode', 'keras-lambda-dangerous-code']],
    ['large-vlen.h5', 'keras-h5', ['keras-lambda-bytecode']],
    ['large-dense.h5', 'keras-h5', ['keras-lambda-bytecode']],
  ])('%s → %s %j', async (name, format, expected) => {
    const result = await scanBytes(fixture(name));
    expect(result.format).toBe(format);
    expect(result.rules).toEqual(expected);
  });

  it('names the layer, the bytecode size and what the bytecode refers to, at the attribute offset', async () => {
    const { findings } = await scanBytes(fixture('lambda-os.h5'));
    const [bytecode, dangerous] = findings;
    expect(bytecode!.message).toMatch(/^model_config: Lambda holds \d+ bytes of marshalled Python bytecode \(in layer 'lambda' \(Lambda\)/);
    expect(bytecode!.message).toContain('names in it: os, id, __import__, system');
    expect(dangerous).toMatchObject({ rule: 'keras-lambda-dangerous-code', severity: 'critical' });
    expect(bytecode!.location.offset).toBeGreaterThan(0);
  });

  it('scans the training_config too', async () => {
    const training = { loss: 'os.system', metrics: ['accuracy'] };
    const { rules: found } = await scanBytes(h5([['model_config', JSON.stringify(seq())], ['training_config', JSON.stringify(training)]]));
    expect(found).toEqual(['keras-dotted-name']);
  });

  it('reports a model_config that is not JSON, or not a string', async () => {
    expect(await scanBytes(h5([['model_config', '{"class_name": ']]))).toMatchObject({ format: 'keras-h5', rules: ['keras-invalid-config'] });
    const b = new H5Builder();
    const intConfig = b.finish(b.place(v1Header([{ type: MSG.attribute, body: attributeBody('model_config', datatype.int32(), dataspace.scalar(), le(1, 4)) }])));
    expect(await scanBytes(intConfig)).toMatchObject({ format: 'keras-h5', rules: ['keras-invalid-config'] });
  });

  it('scans every copy of a duplicated model_config', async () => {
    const lambda = layer('Lambda', { function: [PY38_PRINT, null, null], function_type: 'lambda' });
    const { rules: found } = await scanBytes(h5([['model_config', JSON.stringify(seq())], ['model_config', JSON.stringify(seq(lambda))]]));
    expect(found).toEqual(['hdf5-malformed', 'keras-lambda-bytecode']);
  });

  it('turns unreadable structures into findings, not crashes', async () => {
    const b = new H5Builder();
    const broken = b.finish(b.place(v1Header([{ type: MSG.attribute, body: fixedStringAttribute('model_config', '{}') }, { type: MSG.continuation, body: [...le(1 << 30, 8), ...le(64, 8)] }])));
    expect(await scanBytes(broken)).toMatchObject({ format: 'keras-h5', rules: ['hdf5-malformed'] });
    const noRoot = new H5Builder();
    expect(await scanBytes(noRoot.finish(1 << 24))).toMatchObject({ format: 'hdf5', rules: ['hdf5-malformed'] });
    const shared = new H5Builder();
    const sharedAttr = shared.finish(shared.place(v1Header([{ type: MSG.attribute, body: fixedStringAttribute('model_config', '{}'), flags: 0x02 }])));
    expect(await scanBytes(sharedAttr)).toMatchObject({ format: 'hdf5', rules: ['scan-incomplete'] });
  });

  it('never reads past the metadata: a huge file costs its headers', async () => {
    const bytes = fixture('sequential.h5');
    let read = 0;
    const blob: Blob = {
      size: 50 * 1024 ** 3, // pretend 50 GB of weights follow the headers
      read: async (offset, length) => {
        read += length;
        return bytes.subarray(Math.min(offset, bytes.length), Math.min(bytes.length, offset + length));
      },
    };
    const { ctx } = makeContext();
    expect(await scanHdf5(blob, ctx)).toBe('keras-h5');
    expect(read).toBeLessThan(1024 * 1024);
  });

  it('never throws on mutated Keras files', async () => {
    const original = fixture('lambda-os.h5');
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat({ max: 4095 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), async (edits) => {
        const bytes = original.slice();
        for (const [at, value] of edits) bytes[at] = value;
        const { ctx } = makeContext();
        expect(['hdf5', 'keras-h5']).toContain(await scanHdf5(new BufferBlob(bytes), ctx));
      }),
      { seed: 42, numRuns: 300 },
    );
  });
});

describe('scanKerasConfig on Keras 3 config.json', () => {
  it.each([
    ['keras3-sequential.json', []],
    ['keras3-functional.json', []],
    ['keras3-lambda-os.json', ['keras-lambda-bytecode', 'keras-lambda-dangerous-code']],
    ['keras3-cve-2025-1550.json', ['keras-unsafe-module']],
    ['keras3-get-file.json', ['keras-lambda-function', 'keras-unsafe-function']],
    ['keras3-builtins-exec.json', ['keras-unsafe-module']],
    ['keras3-foreign-module.json', ['keras-foreign-module']],
  ])('%s → %j', (name, expected) => {
    expect(rules(config(fixture(name)))).toEqual(expected);
  });

  it.each([
    ['keras3-sequential.keras', []],
    ['keras3-cve-2025-1550.keras', ['keras-unsafe-module']],
  ])('%s through the zip scanner → keras-v3 %j (its model.weights.h5 is plain, clean HDF5)', async (name, expected) => {
    const result = await scanBytes(fixture(name));
    expect(result.format).toBe('keras-v3');
    expect(result.rules).toEqual(expected);
  });

  it('says which module and name a CVE-2025-1550 entry resolves to', () => {
    const [finding] = config(fixture('keras3-cve-2025-1550.json'));
    expect(finding!.message).toContain("'subprocess.run'");
    expect(finding!.message).toContain('CVE-2025-1550');
    expect(finding!.location.member).toBeUndefined();
  });

  it('keeps Keras built-in and registered functions under module "builtins" clean', () => {
    const dense = (activation: unknown): unknown => seq(k3('keras.layers', 'Dense', { name: 'd', activation }));
    expect(config(dense(k3('builtins', 'function', 'relu', 'function')))).toEqual([]);
    expect(config(dense(k3('builtins', 'function', 'mw>scaled_relu', 'function')))).toEqual([]);
    expect(rules(config(dense(k3('builtins', 'function', 'eval', 'function'))))).toEqual(['keras-unsafe-module']);
  });

  it('classifies modules: Keras namespaces clean, dangerous ones unsafe, others suspicious', () => {
    const ref = (module: string, cls: string, cfg: unknown = {}, registered: string | null = null): string[] =>
      rules(config(seq(k3(module, cls, cfg, registered))));
    expect(ref('keras.layers', 'Dense')).toEqual([]);
    expect(ref('keras_hub.src.models', 'Backbone', {}, 'keras_hub>Backbone')).toEqual([]);
    expect(ref('tf_keras.layers', 'Dense')).toEqual([]);
    expect(ref('os', 'system')).toEqual(['keras-unsafe-module']);
    expect(ref('posix', 'system')).toEqual(['keras-unsafe-module']);
    expect(ref('builtins', 'eval')).toEqual(['keras-unsafe-module']);
    expect(ref('kerasx.layers', 'Dense')).toEqual(['keras-foreign-module']);
    expect(ref('transformers.models', 'TFBert')).toEqual(['keras-foreign-module']);
    expect(ref('__main__', 'MyLayer', {}, 'Custom>MyLayer')).toEqual(['keras-foreign-module']);
    expect(ref('__main__', 'function', 'system')).toEqual(['keras-unsafe-module']);
    expect(ref('keras.config', 'function', 'enable_unsafe_deserialization')).toEqual(['keras-unsafe-function']);
    expect(ref('keras.models', 'function', 'load_model')).toEqual(['keras-unsafe-function']);
  });

  it('reports a foreign module once however many layers use it', () => {
    const layers = Array.from({ length: 20 }, (_, i) => k3('my_pkg.layers', 'Block', { name: `block_${i}` }, 'my_pkg>Block'));
    expect(config(seq(...layers))).toHaveLength(1);
  });

  it('finds lambdas outside Lambda layers (an activation) and in serialization_lib form', () => {
    const fnValue = { class_name: '__lambda__', config: { value: [PY38_PRINT, null, null] } };
    expect(rules(config(seq(k3('keras.layers', 'Dense', { name: 'd', activation: fnValue }))))).toEqual(['keras-lambda-bytecode']);
  });

  it('does not treat dunder types (__keras_tensor__, __numpy__) as module references', () => {
    const tensor = { class_name: '__keras_tensor__', module: 'os', config: { shape: [null, 2], keras_history: ['x', 0, 0] } };
    expect(config(seq(k3('keras.layers', 'Add', { name: 'add' }), tensor))).toEqual([]);
  });
});

describe('scanKerasConfig on Keras 2 configs', () => {
  it('reports bytecode lambdas in function, output_shape and mask', () => {
    const lambda = layer('Lambda', {
      function: [PY38_PRINT, null, null], function_type: 'lambda', module: '__main__',
      output_shape: [PY310_ENVIRON, null, null], output_shape_type: 'lambda', output_shape_module: '__main__',
    });
    const findings = config(seq(lambda));
    expect(rules(findings)).toEqual(['keras-lambda-bytecode', 'keras-lambda-dangerous-code']);
    expect(findings.filter((f) => f.rule === 'keras-lambda-bytecode')).toHaveLength(2);
    expect(findings[0]!.message).toContain('names in it: SFRCe24wdF9zb, print, x, malicious');
    expect(findings.find((f) => f.rule === 'keras-lambda-dangerous-code')!.message).toContain('os');
  });

  it('reads Keras 1 lambdas stored as a bare code string', () => {
    expect(rules(config(seq(layer('Lambda', { function: PY38_PRINT, function_type: 'lambda' }))))).toEqual(['keras-lambda-bytecode']);
  });

  it('reports a lambda whose bytecode cannot be decoded', () => {
    const [finding] = config(seq(layer('Lambda', { function: { x: 1 }, function_type: 'lambda' })));
    expect(finding).toMatchObject({ rule: 'keras-lambda-bytecode', message: expect.stringContaining('cannot decode') });
  });

  it('notes a Lambda that calls a named function, and escalates a dangerous module', () => {
    const named = config(seq(layer('Lambda', { function: 'my_fn', function_type: 'function', module: 'my_project.ops' })));
    expect(named.map((f) => [f.rule, f.severity])).toEqual([['keras-lambda-function', 'low']]);
    expect(named[0]!.message).toContain("named function 'my_fn' from module 'my_project.ops'");
    const os = config(seq(layer('Lambda', { function: 'system', function_type: 'function', module: 'os' })));
    expect(rules(os)).toEqual(['keras-lambda-function', 'keras-unsafe-module']);
  });

  it('flags TFOpLambda / TensorFlowOpLayer only for file-system and Python ops', () => {
    const op = (fn: string): string[] => rules(config(seq(layer('TFOpLambda', { name: `tf.${fn}`, function: fn }))));
    expect(op('math.add')).toEqual([]);
    expect(op('__operators__.add')).toEqual([]);
    expect(op('compat.v1.shape')).toEqual([]);
    expect(op('io.write_file')).toEqual(['keras-tf-op']);
    expect(op('io.gfile.rmtree')).toEqual(['keras-tf-op']);
    expect(op('py_function')).toEqual(['keras-tf-op']);
    expect(op('keras.utils.get_file')).toEqual(['keras-tf-op']);
    const tfop = (name: string): string[] => rules(config(seq(layer('TensorFlowOpLayer', { node_def: { name: 'x', op: name, input: [] } }))));
    expect(tfop('AddV2')).toEqual([]);
    expect(tfop('WriteFile')).toEqual(['keras-tf-op']);
  });

  it('flags dotted import paths where Keras expects a plain name', () => {
    expect(rules(config(seq(layer('Dense', { activation: 'os.system' }))))).toEqual(['keras-dotted-name']);
    expect(rules(config(seq(layer('Dense', { kernel_initializer: { class_name: 'subprocess.Popen', config: {} } }))))).toEqual(['keras-dotted-name']);
    expect(config(seq(layer('Dense', { activation: 'relu', bias_initializer: { class_name: 'Zeros', config: {} } })))).toEqual([]);
    expect(config(seq(layer('Dense', { activation: 'keras.activations.relu' })))).toEqual([]);
    expect(config({ class_name: 'Sequential', config: {}, optimizer_config: { class_name: 'Custom>Adam', config: {} } })).toEqual([]);
  });
});

describe('layers that load files or pickles', () => {
  it('reports TFSMLayer paths and lookup vocabularies read from files, not inline ones', () => {
    expect(rules(config(seq(k3('keras.layers', 'TFSMLayer', { name: 't', filepath: '/tmp/attacker_savedmodel' }))))).toEqual(['keras-external-file']);
    expect(rules(config(seq(layer('StringLookup', { vocabulary: '/home/user/.ssh/id_rsa' }))))).toEqual(['keras-external-file']);
    expect(config(seq(layer('StringLookup', { vocabulary: ['a', 'b'] })))).toEqual([]);
  });

  it('reports a TorchModuleWrapper and hands its pickle to format detection', async () => {
    const pickle = Buffer.from('\x80\x02cos\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03.', 'latin1');
    const wrapper = seq(k3('keras.layers', 'TorchModuleWrapper', { name: 'torch', module: pickle.toString('base64') }));
    const findings: ScanFinding[] = [];
    const members: { name: string; bytes: Uint8Array }[] = [];
    const ctx = new ScanContext(findings, defaultPolicy(), DEFAULT_LIMITS, async (blob, child) => {
      members.push({ name: child.member!, bytes: await blob.read(0, blob.size) });
      return 'pickle';
    });
    await scanKerasConfigDeep(Buffer.from(JSON.stringify(wrapper)), ctx);
    expect(rules(findings)).toEqual(['keras-torch-module']);
    expect(members).toHaveLength(1);
    expect(members[0]!.name).toBe('config.json#$.config.layers[0].config.module');
    expect(Buffer.from(members[0]!.bytes)).toEqual(pickle);
  });
});

describe('malformed and oversized configs', () => {
  it.each([
    ['not JSON', '{"class_name": "Sequential", '],
    ['not UTF-8', new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])],
    ['a JSON array', '[1, 2]'],
    ['a JSON string', '"Sequential"'],
  ])('reports %s as keras-invalid-config', (_label, body) => {
    expect(rules(config(body))).toEqual(['keras-invalid-config']);
  });

  it("accepts Python's NaN / Infinity literals, as json.loads does", () => {
    expect(config('{"class_name": "Dense", "config": {"clipvalue": NaN, "min": -Infinity, "note": "NaN stays"}}')).toEqual([]);
    expect(replaceNonFinite('{"a": NaN, "b": "x\\"NaN", "c": [Infinity, -Infinity]}')).toBe('{"a": null, "b": "x\\"NaN", "c": [null, null]}');
  });

  it('stops at the depth bound and says so', () => {
    const deep = `${'{"a":'.repeat(600)}1${'}'.repeat(600)}`;
    const findings = config(deep);
    expect(rules(findings)).toEqual(['scan-incomplete']);
    expect(findings[0]!.message).toContain('nested deeper than 512');
  });

  it('refuses a config larger than maxMetadataBytes', () => {
    expect(rules(config(seq(), { maxMetadataBytes: 16 }))).toEqual(['scan-incomplete']);
  });

  it('caps findings per rule and counts the rest', () => {
    const lambdas = Array.from({ length: 60 }, (_, i) => layer('Lambda', { name: `l${i}`, function: [PY38_PRINT, null, null], function_type: 'lambda' }));
    const findings = config(seq(...lambdas));
    expect(findings).toHaveLength(51);
    expect(findings.at(-1)!.message).toContain('10 more findings of this kind');
  });

  it('never throws on Keras-shaped configs with arbitrary values', () => {
    const keys = ['class_name', 'module', 'config', 'registered_name', 'function', 'function_type', 'output_shape_type', 'layers', 'name', 'activation', 'node_def', 'op', 'vocabulary', 'filepath', 'code', 'value', 'spec_name'];
    const words = ['Lambda', '__lambda__', 'function', 'lambda', 'TFOpLambda', 'TensorFlowOpLayer', 'TorchModuleWrapper', 'TFSMLayer', 'StringLookup', 'builtins', 'os', '__main__', 'keras.layers', 'exec', 'io.write_file', 'a.b', PY38_PRINT];
    const { tree } = fc.letrec((tie) => ({
      tree: fc.oneof({ depthSize: 'small' }, fc.constantFrom(...words), fc.integer(), fc.constant(null), fc.array(tie('tree'), { maxLength: 3 }), fc.dictionary(fc.constantFrom(...keys), tie('tree'), { maxKeys: 5 })),
    }));
    fc.assert(
      fc.property(tree, (value) => {
        config({ class_name: 'Sequential', config: { layers: [value] } });
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  it('never throws on arbitrary JSON or bytes', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue().map((v) => JSON.stringify(v)), fc.string()), (text) => {
        config(text);
      }),
      { seed: 42, numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        config(bytes);
      }),
      { seed: 42, numRuns: 300 },
    );
  });
});

describe('bytecode summary', () => {
  it('lists the names a marshalled lambda refers to, without its own name or file', () => {
    expect(summariseBytecode(decodeBase64(PY310_ENVIRON)).names).toEqual(['FLAG', 'not', 'found', 'os', 'environ', 'get', 'x']);
  });
});

describe('rule table', () => {
  it('registers every rule the Keras scanner reports', () => {
    for (const id of [
      'keras-lambda-bytecode', 'keras-lambda-dangerous-code', 'keras-lambda-function', 'keras-unsafe-module',
      'keras-unsafe-function', 'keras-foreign-module', 'keras-tf-op', 'keras-torch-module', 'keras-external-file',
      'keras-dotted-name', 'keras-invalid-config', 'hdf5-malformed',
    ]) {
      expect(RULES[id], id).toBeDefined();
    }
  });
});

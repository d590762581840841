import { MemorySink, type ByteSink } from './byte-sink.js';
import { byteSize, modulePrefixes, numel, strides, type TensorSpec } from './layout.js';
import { PickleAssembler } from './pickle-assembler.js';
import { ZipWriter } from './zip-writer.js';

/**
 * torch.save(model.state_dict()) as torch 1.13 writes it (checked against `pickletools.dis` of real files): an
 * OrderedDict of `torch._utils._rebuild_tensor_v2` calls whose storages are persistent ids, then the `_metadata`
 * attribute set by BUILD.
 */
function writeStateDict(p: PickleAssembler, tensors: readonly TensorSpec[], storageKey: (i: number) => string, legacy: boolean): void {
  p.begin();
  p.global('collections', 'OrderedDict').tupleClose(0).reduce();
  p.dictItems(tensors.length, (i) => {
    const t = tensors[i]!;
    p.str(t.name);
    p.global('torch._utils', '_rebuild_tensor_v2');
    p.tupleOpen(6);
    // Persistent id: ('storage', storage type, key, location, numel[, view metadata in the legacy format]).
    const pidLen = legacy ? 6 : 5;
    p.tupleOpen(pidLen).str('storage', true).global('torch', 'FloatStorage').str(storageKey(i)).str('cpu', true).int(numel(t));
    if (legacy) p.none();
    p.tupleClose(pidLen).binpersid();
    p.int(0);
    p.tupleOpen(t.shape.length);
    for (const d of t.shape) p.int(d);
    p.tupleClose(t.shape.length);
    const st = strides(t.shape);
    p.tupleOpen(st.length);
    for (const d of st) p.int(d);
    p.tupleClose(st.length);
    p.bool(false);
    p.global('collections', 'OrderedDict').tupleClose(0).reduce();
    p.tupleClose(6).reduce();
  });
  // state = {'_metadata': OrderedDict((prefix, {'version': 1}) for each module)}, applied by BUILD.
  const prefixes = modulePrefixes(tensors);
  p.emptyDict().str('_metadata');
  p.global('collections', 'OrderedDict').tupleClose(0).reduce();
  p.dictItems(prefixes.length, (i) => {
    p.str(prefixes[i]!);
    p.emptyDict().dictItems(1, () => p.str('version', true).int(1));
  });
  p.setitem().build();
  p.end();
}

/** The `archive/data.pkl` of a zip checkpoint, in memory (a few tens of KB for hundreds of tensors). */
export function stateDictPickle(tensors: readonly TensorSpec[]): { bytes: Uint8Array; opcodes: number } {
  const sink = new MemorySink();
  const p = new PickleAssembler(sink, 2);
  writeStateDict(p, tensors, (i) => String(i), false);
  return { bytes: sink.bytes(), opcodes: p.opcodes };
}

export interface ZipCheckpoint {
  members: number;
  tensorBytes: number;
  pickleBytes: number;
  pickleOpcodes: number;
}

/** A torch ≥ 1.6 zip checkpoint: data.pkl, one member per storage, then `version`. */
export function writeTorchZip(sink: ByteSink, tensors: readonly TensorSpec[], archive = 'archive'): ZipCheckpoint {
  const pkl = stateDictPickle(tensors);
  const zip = new ZipWriter(sink);
  zip.addBytes(`${archive}/data.pkl`, pkl.bytes);
  let tensorBytes = 0;
  tensors.forEach((t, i) => {
    zip.addData(`${archive}/data/${i}`, byteSize(t));
    tensorBytes += byteSize(t);
  });
  zip.addBytes(`${archive}/version`, new TextEncoder().encode('3\n'));
  zip.finish();
  return { members: tensors.length + 2, tensorBytes, pickleBytes: pkl.bytes.length, pickleOpcodes: pkl.opcodes };
}

/** torch.serialization MAGIC_NUMBER and PROTOCOL_VERSION. */
const MAGIC = 0x1950a86a20f9469cfc6cn;
const PROTOCOL_VERSION = 1001;

/**
 * The legacy (pre-1.6, `_use_new_zipfile_serialization=False`) format: five pickles — magic number, protocol
 * version, sys_info, the state_dict, the sorted storage keys — then each storage as an int64 element count and its
 * raw bytes (torch/serialization.py `_legacy_save`).
 */
export function writeTorchLegacy(sink: ByteSink, tensors: readonly TensorSpec[]): { opcodes: number; tensorBytes: number } {
  let opcodes = 0;
  const pickle = (body: (p: PickleAssembler) => void): void => {
    const p = new PickleAssembler(sink, 2);
    body(p);
    opcodes += p.opcodes;
  };
  pickle((p) => p.begin().int(MAGIC).end());
  pickle((p) => p.begin().int(PROTOCOL_VERSION).end());
  pickle((p) => {
    p.begin().emptyDict();
    p.dictItems(3, (i) => {
      if (i === 0) p.str('protocol_version').int(PROTOCOL_VERSION);
      if (i === 1) p.str('little_endian').bool(true);
      if (i === 2) {
        p.str('type_sizes').emptyDict();
        p.dictItems(3, (j) => p.str(['short', 'int', 'long'][j]!).int([2, 4, 4][j]!));
      }
    });
    p.end();
  });
  // Legacy storage keys are the storages' ids (addresses) as decimal strings.
  const keys = tensors.map((_, i) => String(94_000_000_000_000 + i * 4096));
  pickle((p) => writeStateDict(p, tensors, (i) => keys[i]!, true));
  const order = keys.map((k, i) => [k, i] as const).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  pickle((p) => {
    p.begin().emptyList();
    p.listItems(order.length, (i) => p.str(order[i]![0]));
    p.end();
  });
  let tensorBytes = 0;
  for (const [, i] of order) {
    const t = tensors[i]!;
    const count = new Uint8Array(8);
    new DataView(count.buffer).setBigUint64(0, BigInt(numel(t)), true);
    sink.write(count);
    sink.data(byteSize(t));
    tensorBytes += byteSize(t);
  }
  return { opcodes, tensorBytes };
}

import type { ByteSink } from './byte-sink.js';
import { byteSize, type TensorSpec } from './layout.js';
import { PickleAssembler } from './pickle-assembler.js';

/**
 * `pickle.dump({name: np.ndarray(float32)}, f, protocol)` as CPython 3.11 with NumPy 1.24 writes it (checked
 * opcode by opcode against `pickletools.genops`). The array bytes are inline: protocol 4 reduces an array to
 * `numpy.core.multiarray._reconstruct` + BUILD with a `bytes` state (BINBYTES), protocol 5 to
 * `numpy.core.numeric._frombuffer` over an in-band PickleBuffer (BYTEARRAY8). Returns the opcode count.
 */
export function writeNumpyPickle(sink: ByteSink, tensors: readonly TensorSpec[], protocol: 4 | 5): number {
  const p = new PickleAssembler(sink, protocol);
  let dtype = -1;
  let byteorderB = -1;
  // np.dtype('float32') is a singleton, so CPython pickles it once and BINGETs it after.
  const writeDtype = (): void => {
    if (dtype >= 0) {
      p.get(dtype);
      return;
    }
    p.global('numpy', 'dtype').tupleOpen(3).str('f4', true).bool(false).bool(true).tupleClose(3).reduce();
    dtype = p.lastMemo;
    p.tupleOpen(8).int(3).str('<', true).none().none().none().int(-1).int(-1).int(0).tupleClose(8).build();
  };
  const shape = (t: TensorSpec): void => {
    p.tupleOpen(t.shape.length);
    for (const d of t.shape) p.int(d);
    p.tupleClose(t.shape.length);
  };
  p.begin().emptyDict();
  p.dictItems(tensors.length, (i) => {
    const t = tensors[i]!;
    p.str(t.name);
    if (protocol === 5) {
      p.global('numpy.core.numeric', '_frombuffer').tupleOpen(4);
      p.bytearray(byteSize(t));
      writeDtype();
      shape(t);
      p.str('C', true).tupleClose(4).reduce();
      return;
    }
    p.global('numpy.core.multiarray', '_reconstruct').tupleOpen(3).global('numpy', 'ndarray');
    p.tupleOpen(1).int(0).tupleClose(1);
    // b'b' is a constant of ndarray.__reduce__, shared by identity across arrays.
    if (byteorderB >= 0) p.get(byteorderB);
    else {
      p.bytes(1, new Uint8Array([0x62]));
      byteorderB = p.lastMemo;
    }
    p.tupleClose(3).reduce();
    p.tupleOpen(5).int(1);
    shape(t);
    writeDtype();
    p.bool(false).bytes(byteSize(t)).tupleClose(5).build();
  });
  p.end();
  return p.opcodes;
}

import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FileSink, type ByteSink } from './byte-sink.js';
import { writeRecordsPickle, writeVocabPickle } from './dense-pickles.js';
import { transformerLayout, uniformLayout, type TensorSpec } from './layout.js';
import { writeNumpyPickle } from './numpy-checkpoint.js';
import { GiB } from './stats.js';
import { writeTorchLegacy, writeTorchZip } from './torch-checkpoint.js';

/** A generated input file and what went into it. */
export interface Input {
  id: string;
  label: string;
  path: string;
  /** Apparent file size. */
  bytes: number;
  /** Bytes actually allocated on disk (small for sparse files). */
  diskBytes: number;
  /** Opcodes in the file's pickle(s), counted by the generator. */
  opcodes: number;
  tensors?: number;
  members?: number;
  pickleBytes?: number;
  /** Small objects in an opcode-dense pickle. */
  objects?: number;
}

function write(path: string, sparse: boolean, body: (sink: ByteSink) => Omit<Input, 'id' | 'label' | 'path' | 'bytes' | 'diskBytes'>): Omit<Input, 'id' | 'label'> {
  const sink = new FileSink(path, sparse);
  let info;
  try {
    info = body(sink);
  } finally {
    sink.close();
  }
  const st = statSync(path);
  return { path, bytes: st.size, diskBytes: st.blocks * 512, ...info };
}

/** A 24-layer decoder whose tensor data totals `bytes`, as a sparse torch zip (tensor bytes are holes). */
export function zipCheckpoint(dir: string, bytes: number): Input {
  mkdirSync(dir, { recursive: true });
  const tensors = transformerLayout({ targetBytes: bytes, layers: 24 });
  const gib = bytes / GiB;
  const out = write(join(dir, `decoder-${gib}g.pt`), true, (sink) => {
    const z = writeTorchZip(sink, tensors);
    return { opcodes: z.pickleOpcodes, tensors: tensors.length, members: z.members, pickleBytes: z.pickleBytes };
  });
  return { id: `zip-${gib}g`, label: `torch zip, ${gib} GiB of tensors (sparse)`, ...out };
}

export interface PickleCase {
  id: string;
  label: string;
  /** File name under the pickles folder. */
  file: string;
  make: (sink: ByteSink) => { opcodes: number; objects?: number; tensors?: number };
}

/** Pickles whose tensor bytes are inline payloads, written dense (real bytes on disk, read from the page cache). */
export function inlineCases(bytes: number): PickleCase[] {
  const decoder = (): TensorSpec[] => transformerLayout({ targetBytes: bytes, layers: 24 });
  const shards = uniformLayout(Math.round(bytes / (256 * 1024)), 256 * 1024);
  return [
    {
      id: 'numpy-p5',
      label: 'dict of NumPy arrays, protocol 5 (BYTEARRAY8), 24-layer decoder',
      file: 'numpy-p5.pkl',
      make: (s) => ({ opcodes: writeNumpyPickle(s, decoder(), 5), tensors: decoder().length }),
    },
    {
      id: 'numpy-p4',
      label: 'dict of NumPy arrays, protocol 4 (BINBYTES), 24-layer decoder',
      file: 'numpy-p4.pkl',
      make: (s) => ({ opcodes: writeNumpyPickle(s, decoder(), 4), tensors: decoder().length }),
    },
    {
      id: 'numpy-p4-256k',
      label: `dict of ${shards.length} NumPy arrays of 256 KiB, protocol 4`,
      file: 'numpy-p4-256k.pkl',
      make: (s) => ({ opcodes: writeNumpyPickle(s, shards, 4), tensors: shards.length }),
    },
    {
      id: 'torch-legacy',
      label: 'legacy torch.save (5 pickles + raw storages), 24-layer decoder',
      file: 'torch-legacy.pt',
      make: (s) => {
        const t = decoder();
        return { opcodes: writeTorchLegacy(s, t).opcodes, tensors: t.length };
      },
    },
  ];
}

/** Opcode-dense pickles: millions of small memoized objects and no payload to skip. */
export function denseCases(recordBytes: number, vocabBytes: number, bigRecordBytes: number | undefined): PickleCase[] {
  const mb = (n: number): string => `${Math.round(n / 1e6)} MB`;
  const cases: PickleCase[] = [
    {
      id: `records-p4-${mb(recordBytes).replace(' ', '')}`,
      label: `list of small dicts (int, str, float, tuple, list), protocol 4, ~${mb(recordBytes)}`,
      file: 'records-p4.pkl',
      make: (s) => writeRecordsPickle(s, recordBytes),
    },
    {
      id: `vocab-p2-${mb(vocabBytes).replace(' ', '')}`,
      label: `tokenizer vocab {str: int}, protocol 2, ~${mb(vocabBytes)}`,
      file: 'vocab-p2.pkl',
      make: (s) => writeVocabPickle(s, vocabBytes),
    },
  ];
  if (bigRecordBytes !== undefined) {
    cases.push({
      id: `records-p4-${mb(bigRecordBytes).replace(' ', '')}`,
      label: `list of small dicts, protocol 4, ~${mb(bigRecordBytes)} (one run)`,
      file: 'records-p4-big.pkl',
      make: (s) => writeRecordsPickle(s, bigRecordBytes),
    });
  }
  return cases;
}

export function writeCase(dir: string, c: PickleCase): Input {
  mkdirSync(dir, { recursive: true });
  const out = write(join(dir, c.file), false, (sink) => c.make(sink));
  return { id: c.id, label: c.label, ...out };
}

export interface Folder {
  /** Sub-folders of small files, `perPart` files each (the 500/1000/2000 series scans 1, 2 and 4 of them). */
  parts: string[];
  perPart: number;
  large: string;
  largeCount: number;
  smallBytes: number;
  largeBytes: number;
  /** Opcode-dense pickles: CPU-bound work, where a second core should show. */
  dense: string;
  denseCount: number;
}

/**
 * A model store: small files (a tiny torch zip, a protocol-4 NumPy pickle and a records pickle in rotation, each
 * 6–60 KB) split into parts, and a folder of 20 MB checkpoints (torch zips and protocol-5 NumPy pickles in turn).
 * Everything is dense: these are read like real files.
 */
export function makeFolder(root: string, parts: number, perPart: number, largeCount: number, largeBytes: number): Folder {
  const tiny = transformerLayout({ targetBytes: 40 * 1024, layers: 1, align: 8, positions: 16 });
  const small = transformerLayout({ targetBytes: 24 * 1024, layers: 1, align: 8, positions: 16 });
  const big = transformerLayout({ targetBytes: largeBytes, layers: 4, align: 64, positions: 512 });
  const partDirs: string[] = [];
  let smallBytes = 0;
  for (let p = 0; p < parts; p++) {
    const dir = join(root, 'small', `part-${p}`);
    mkdirSync(dir, { recursive: true });
    partDirs.push(dir);
    for (let i = 0; i < perPart; i++) {
      const n = p * perPart + i;
      const kind = n % 3;
      const name = join(dir, `${String(n).padStart(5, '0')}${kind === 0 ? '.pt' : '.pkl'}`);
      const f = write(name, false, (sink) => {
        if (kind === 0) return { opcodes: writeTorchZip(sink, tiny, `model_${n}`).pickleOpcodes };
        if (kind === 1) return { opcodes: writeNumpyPickle(sink, small, 4) };
        return { opcodes: writeRecordsPickle(sink, 6 * 1024).opcodes };
      });
      smallBytes += f.bytes;
    }
  }
  const large = join(root, 'large');
  mkdirSync(large, { recursive: true });
  let totalLarge = 0;
  for (let i = 0; i < largeCount; i++) {
    const zip = i % 2 === 0;
    const f = write(join(large, `ckpt-${String(i).padStart(3, '0')}${zip ? '.pt' : '.pkl'}`), false, (sink) =>
      zip ? { opcodes: writeTorchZip(sink, big, `ckpt_${i}`).pickleOpcodes } : { opcodes: writeNumpyPickle(sink, big, 5) },
    );
    totalLarge += f.bytes;
  }
  const dense = join(root, 'dense');
  mkdirSync(dense, { recursive: true });
  const denseCount = Math.max(2, Math.round(largeCount / 6));
  for (let i = 0; i < denseCount; i++) write(join(dense, `records-${i}.pkl`), false, (sink) => ({ opcodes: writeRecordsPickle(sink, 12 * 1024 * 1024).opcodes }));
  return { parts: partDirs, perPart, large, largeCount, smallBytes, largeBytes: totalLarge, dense, denseCount };
}


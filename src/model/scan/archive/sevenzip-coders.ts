import { Readable } from 'node:stream';
import { createInflateRaw } from 'node:zlib';
import { SliceBlob, chunksOf, type Blob } from '../blob.js';
import { lzma2DictSize } from './lzma2.js';
import { createLzma2Decoder, createRawLzmaDecoder, type LzmaOptions, type StreamDecoder } from './lzma.js';
import { createBcjX86Filter, createDeltaFilter, type ChunkFilter } from './sevenzip-filters.js';
import type { Coder, Folder } from './sevenzip-streams.js';

/** Method ids as 7-Zip lists them (`7zz i`, "Codecs"), for messages. */
const CODER_NAMES: Record<string, string> = {
  '00': 'Copy',
  '03': 'Delta',
  '0a': 'ARM64',
  '0b': 'RISCV',
  '21': 'LZMA2',
  '030101': 'LZMA',
  '030401': 'PPMd',
  '03030103': 'BCJ',
  '0303011b': 'BCJ2',
  '03030205': 'PPC',
  '03030401': 'IA64',
  '03030501': 'ARM',
  '03030701': 'ARMT',
  '03030805': 'SPARC',
  '020302': 'Swap2',
  '020304': 'Swap4',
  '040108': 'Deflate',
  '040109': 'Deflate64',
  '040202': 'BZip2',
  '04f71101': 'Zstandard',
  '06f10701': '7zAES',
  '06f00181': 'AES256CBC',
};

const AES_IDS = new Set(['06f10701', '06f00181']);
/** Methods that turn a pack stream into data. */
const DECOMPRESSORS = new Set(['00', '21', '030101', '040108']);
/** Filters that may follow a decompressor in a chain. */
const FILTERS = new Set(['03030103', '03']);

export const coderName = (id: string): string => `${CODER_NAMES[id] ?? 'unknown method'} (id ${id || 'empty'})`;

export type FolderProblem = { kind: 'encrypted' } | { kind: 'unsupported'; coders: string[] } | undefined;

/** Why a folder cannot be decoded here: encryption, or a method (or arrangement of methods) this reader lacks. */
export function folderProblem(f: Folder): FolderProblem {
  if (f.coders.some((c) => AES_IDS.has(c.id))) return { kind: 'encrypted' };
  const bad = f.coders.filter((c) => !DECOMPRESSORS.has(c.id) && !FILTERS.has(c.id));
  if (bad.length > 0) return { kind: 'unsupported', coders: bad.map((c) => coderName(c.id)) };
  const chain = coderChain(f);
  if (chain === undefined || !DECOMPRESSORS.has(f.coders[chain[0]!]!.id) || chain.slice(1).some((i) => !FILTERS.has(f.coders[i]!.id))) {
    return { kind: 'unsupported', coders: [`the coder arrangement ${f.coders.map((c) => coderName(c.id)).join(' + ')}`] };
  }
  return undefined;
}

/**
 * Coder indices from the pack stream to the folder output, when the folder is a simple chain: one pack stream,
 * every coder one-in one-out (so in-stream i and out-stream i both belong to coder i), linked by bind pairs.
 * BCJ2's four streams, for instance, are not a chain.
 */
function coderChain(f: Folder): number[] | undefined {
  if (f.packedStreams.length !== 1 || f.coders.some((c) => c.numIn !== 1 || c.numOut !== 1)) return undefined;
  const chain = [f.packedStreams[0]!];
  for (;;) {
    const cur = chain[chain.length - 1]!;
    const bond = f.bindPairs.find((b) => b.outIndex === cur);
    if (bond === undefined) break;
    if (chain.includes(bond.inIndex)) return undefined;
    chain.push(bond.inIndex);
  }
  return chain.length === f.coders.length ? chain : undefined;
}

/**
 * Input for the LZMA decoders is pushed in pieces this small so that one push cannot produce much output: LZMA
 * expands at most about 8 KiB per input byte, so a piece yields at most ~8 MiB before the consumer sees it.
 */
const PUSH_PIECE = 1024;

/**
 * The decoded output of a folder that `folderProblem` accepted, as chunks. `packOffset` is the file offset of its
 * pack stream. The consumer may stop early; the generators then release everything they hold.
 */
export async function* folderOutput(
  blob: Blob,
  packOffset: number,
  packSize: number,
  folder: Folder,
  opts: LzmaOptions,
): AsyncGenerator<Uint8Array> {
  const chain = coderChain(folder);
  if (chain === undefined) throw new Error('internal: folder is not a coder chain');
  let out = decompress(folder.coders[chain[0]!]!, folder.unpackSizes[chain[0]!]!, new SliceBlob(blob, packOffset, packSize), opts);
  for (const i of chain.slice(1)) {
    const c = folder.coders[i]!;
    out = filtered(out, c.id === '03' ? createDeltaFilter(c.props) : createBcjX86Filter(bcjStart(c.props)));
  }
  yield* out;
}

/** A BCJ coder may carry a 4-byte start offset; 7-Zip writes none. */
const bcjStart = (props: Uint8Array): number =>
  props.length >= 4 ? (props[0]! | (props[1]! << 8) | (props[2]! << 16) | (props[3]! << 24)) >>> 0 : 0;

async function* filtered(input: AsyncGenerator<Uint8Array>, filter: ChunkFilter): AsyncGenerator<Uint8Array> {
  for await (const chunk of input) {
    const out = filter.push(chunk);
    if (out.length > 0) yield out;
  }
  const rest = filter.end();
  if (rest.length > 0) yield rest;
}

async function* decompress(coder: Coder, unpackSize: number, packed: Blob, opts: LzmaOptions): AsyncGenerator<Uint8Array> {
  const sized = { ...opts, sizeHint: unpackSize };
  switch (coder.id) {
    case '00':
      yield* chunksOf(packed, 0, 64 * 1024);
      return;
    case '040108':
      yield* inflateRaw(chunksOf(packed));
      return;
    case '030101':
      yield* pushThrough(createRawLzmaDecoder(coder.props, unpackSize, sized), packed);
      return;
    case '21':
      if (coder.props.length < 1) throw new Error('LZMA2 coder has no dictionary property');
      yield* pushThrough(createLzma2Decoder(lzma2DictSize(coder.props[0]!), sized), packed);
      return;
    default:
      throw new Error(`internal: ${coderName(coder.id)} has no decoder`);
  }
}

async function* pushThrough(dec: StreamDecoder, packed: Blob): AsyncGenerator<Uint8Array> {
  let out: Uint8Array[] = [];
  const collect = (b: Uint8Array): void => void out.push(b);
  for await (const chunk of chunksOf(packed, 0, 64 * 1024)) {
    for (let i = 0; i < chunk.length; i += PUSH_PIECE) {
      dec.push(chunk.subarray(i, i + PUSH_PIECE), collect);
      yield* out;
      out = [];
    }
  }
  dec.end(collect);
  yield* out;
}

/** Raw deflate (7z method 040108) through node:zlib's streaming inflater, which applies back-pressure. */
async function* inflateRaw(input: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const source = Readable.from(input);
  const inflater = createInflateRaw();
  source.on('error', (err) => inflater.destroy(err));
  source.pipe(inflater);
  try {
    for await (const chunk of inflater as AsyncIterable<Uint8Array>) yield chunk;
  } finally {
    source.destroy();
    inflater.destroy();
  }
}

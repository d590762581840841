import type { ByteSink } from './byte-sink.js';
import { PickleAssembler } from './pickle-assembler.js';

/**
 * Opcode-dense pickles: millions of small objects and no large payloads, the worst case per byte for a pickle
 * walker. Both are what CPython writes for the equivalent Python objects (checked with `pickle.loads` and
 * `pickletools.genops` on small instances).
 */

const SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'su', 'ta', 'ri', 'vo', 'de', 'gu', 'pa', 'shi', 'ny', 'xe', 'zu', 'fo'];

/** The i-th pseudo-word: a base-16 spelling of i in syllables, so every word is unique and deterministic. */
export function word(i: number): string {
  let s = '';
  let x = i + 16;
  while (x > 0) {
    s += SYLLABLES[x % 16];
    x = Math.floor(x / 16);
  }
  return s;
}

const TAGS = ['train', 'valid', 'test', 'noisy', 'gold', 'synthetic', 'en', 'de', 'fr', 'code'];

export interface DenseResult {
  opcodes: number;
  objects: number;
  bytes: number;
}

/**
 * A dataset index, protocol 4: `[{'id': i, 'text': w, 'score': f, 'tags': (t1, t2), 'span': [a, b]}, …]`. Keys
 * and tags are shared strings (BINGET after the first); each dict, text, tuple and list is memoized.
 */
export function writeRecordsPickle(sink: ByteSink, targetBytes: number): DenseResult {
  const p = new PickleAssembler(sink, 4);
  // ~58 bytes per record; the exact count is fixed up front because the list is written in batches of 1000.
  const count = Math.max(1, Math.round(targetBytes / 58));
  p.begin().emptyList();
  p.listItems(count, (i) => {
    p.emptyDict().mark();
    p.str('id', true).int(i * 7 + 100_000);
    p.str('text', true).str(word(i));
    p.str('score', true).float(((i * 2654435761) % 1_000_003) / 1_000_003);
    p.str('tags', true).tupleOpen(2).str(TAGS[i % TAGS.length]!, true).str(TAGS[(i >> 3) % TAGS.length]!, true).tupleClose(2);
    p.str('span', true).emptyList().listItems(2, (j) => p.int(j === 0 ? i % 4096 : (i % 4096) + 17));
    p.setitems();
  });
  const bytes = p.end();
  return { opcodes: p.opcodes, objects: count, bytes };
}

/** A tokenizer vocabulary, protocol 2: `{token: id}` with every token a distinct str (BINUNICODE + BINPUT). */
export function writeVocabPickle(sink: ByteSink, targetBytes: number): DenseResult {
  const p = new PickleAssembler(sink, 2);
  const count = Math.max(1, Math.round(targetBytes / 24));
  p.begin().emptyDict();
  p.dictItems(count, (i) => p.str(word(i * 3 + 1)).int(i));
  const bytes = p.end();
  return { opcodes: p.opcodes, objects: count, bytes };
}

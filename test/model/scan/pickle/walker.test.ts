import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../../../src/model/scan/limits.js';
import { defaultPolicy } from '../../../../src/model/scan/pickle/default-policy.js';
import { PickleWalker } from '../../../../src/model/scan/pickle/walker.js';
import { asm, benignPickle, osSystemPickle } from '../../../support/pickle-asm.js';

interface Seen {
  rule: string;
  message: string;
  offset?: number;
  opcode?: string;
}

function walk(bytes: Uint8Array, chunk = bytes.length || 1, limits = {}): { found: Seen[]; rules: string[]; summary: ReturnType<PickleWalker['end']> } {
  const found: Seen[] = [];
  const w = new PickleWalker({
    policy: defaultPolicy(),
    limits: { ...DEFAULT_LIMITS, ...limits },
    report: (rule, message, loc) => found.push({ rule, message, ...loc }),
  });
  for (let i = 0; i < bytes.length; i += chunk) w.feed(bytes.subarray(i, i + chunk));
  const summary = w.end();
  return { found, rules: [...new Set(found.map((f) => f.rule))].sort(), summary };
}

describe('PickleWalker', () => {
  it('flags a GLOBAL of os.system and names it', () => {
    const { found, summary } = walk(osSystemPickle());
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ rule: 'pickle-dangerous-global', offset: 2, opcode: 'GLOBAL' });
    expect(found[0]!.message).toContain('os.system');
    expect(summary).toMatchObject({ pickles: 1, clean: true });
  });

  it('leaves a benign OrderedDict pickle alone', () => {
    const { found, summary } = walk(benignPickle());
    expect(found).toEqual([]);
    expect(summary.pickles).toBe(1);
  });

  it('gives the same findings whatever the chunking (1-byte feeds)', () => {
    const p = asm().proto(4).str('os').memoize().str('system').memoize().stackGlobal().str('id').tuple1().reduce().stop().bytesOut();
    const whole = walk(p);
    const bytewise = walk(p, 1);
    expect(bytewise.found).toEqual(whole.found);
    expect(whole.rules).toEqual(['pickle-dangerous-global']);
  });

  it('resolves STACK_GLOBAL names from the memo, mixing BINPUT and MEMOIZE (bypass 2)', () => {
    // BINPUT 5 stores 'os' at key 5; MEMOIZE then stores at len(memo) == 1, not 6: a walk-back scanner guesses wrong.
    const p = asm()
      .proto(4)
      .str('os')
      .binput(5)
      .str('system')
      .memoize()
      .pop()
      .pop()
      .binget(5)
      .binget(1)
      .stackGlobal()
      .str('id')
      .tuple1()
      .reduce()
      .stop()
      .bytesOut();
    const { found } = walk(p);
    expect(found.map((f) => f.message).join()).toContain('os.system');
  });

  it('does not confuse a memo index with a decoy (bypass 3)', () => {
    const p = asm().proto(4).str('collections').binput(0).str('OrderedDict').binput(1).str('os').binput(2).str('system').binput(3).pop().pop().pop().pop()
      .binget(2).binget(3).stackGlobal().emptyTuple().reduce().stop().bytesOut();
    expect(walk(p).found[0]!.message).toContain('os.system');
  });

  it('flags INST and OBJ imports (bypass 1 and 23)', () => {
    const inst = asm().mark().text("S'touch x'\n").inst('os', 'system').stop().bytesOut();
    expect(walk(inst).rules).toEqual(['pickle-dangerous-global']);
    const obj = asm().proto(2).mark().global('pty', 'spawn').str('sh').ch('o').stop().bytesOut();
    expect(walk(obj).found[0]!.message).toContain('pty.spawn');
  });

  it('flags names computed at load time as unsafe', () => {
    // module name is the result of calling str.join: not a constant.
    const p = asm().proto(4).global('builtins', 'str').str('o').tuple1().reduce().str('system').stackGlobal().stop().bytesOut();
    expect(walk(p).rules).toContain('pickle-dynamic-global');
  });

  it('sees through dotted names that walk attributes (bypass 21)', () => {
    const p = asm().proto(4).str('logging').str('os.system').stackGlobal().str('id').tuple1().reduce().stop().bytesOut();
    const msg = walk(p).found.map((f) => f.message).join();
    expect(msg).toMatch(/os\.system|logging/);
    const benign = asm().proto(4).str('collections').str('OrderedDict').stackGlobal().emptyTuple().reduce().stop().bytesOut();
    expect(walk(benign).found).toEqual([]);
  });

  it('reports a payload before a break as dangerous and the break as truncation (nullifAI)', () => {
    const full = osSystemPickle();
    const broken = full.subarray(0, full.length - 1); // drop STOP
    const { rules } = walk(broken);
    expect(rules).toEqual(['pickle-dangerous-global', 'pickle-truncated']);
  });

  it('reports an invalid opcode as malformed, keeping what came before', () => {
    const p = asm().proto(2).global('os', 'system').op(0xff).bytesOut();
    expect(walk(p).rules).toEqual(['pickle-dangerous-global', 'pickle-malformed']);
  });

  it('walks a pickle nested in a byte string (pickle.loads payload)', () => {
    const inner = osSystemPickle();
    const outer = asm().proto(3).global('_codecs', 'encode').bytes(inner).tuple1().reduce().stop().bytesOut();
    const { found } = walk(outer);
    const dangerous = found.filter((f) => f.rule === 'pickle-dangerous-global');
    expect(dangerous).toHaveLength(1);
    expect(dangerous[0]!.message).toMatch(/nested at offset \d+: imports os\.system/);
    expect(found.some((f) => f.rule === 'pickle-nested')).toBe(true);
  });

  it('walks a large nested pickle streamed through a payload (divert)', () => {
    const pad = new Uint8Array(70_000).fill(0x4e); // NONE opcodes: a valid, large inner pickle
    const inner = Uint8Array.from([...osSystemPickle().subarray(0, -1), ...[0x28], ...pad, 0x31, 0x2e]);
    const outer = asm().proto(3).bytes(inner).stop().bytesOut();
    expect(walk(outer, 4096).found.some((f) => f.rule === 'pickle-dangerous-global')).toBe(true);
  });

  it('ignores byte payloads that merely start like a pickle', () => {
    const decoy = Uint8Array.from([0x80, 0x02, 0xff, 0xfe, 1, 2, 3]);
    expect(walk(asm().proto(3).bytes(decoy).stop().bytesOut()).found).toEqual([]);
  });

  it('walks stacked pickles and flags a payload in the second one', () => {
    const both = Uint8Array.from([...benignPickle(), ...osSystemPickle()]);
    const { found, summary } = walk(both);
    expect(summary.pickles).toBe(2);
    expect(found.map((f) => f.rule)).toEqual(['pickle-dangerous-global']);
  });

  it('notes trailing bytes that are not a pickle', () => {
    const p = Uint8Array.from([...benignPickle(), 0xff, 0xfe, 0xfd]);
    expect(walk(p).rules).toEqual(['pickle-trailing-data']);
  });

  it('flags EXT codes as suspicious', () => {
    expect(walk(asm().proto(2).op(0x82, 7).emptyTuple().reduce().stop().bytesOut()).rules).toEqual(['pickle-ext-code']);
  });

  it('notes a misplaced PROTO', () => {
    expect(walk(asm().none().pop().proto(2).none().stop().bytesOut()).rules).toEqual(['pickle-protocol-anomaly']);
  });

  it('parses FLOAT, BYTEARRAY8, NEXT_BUFFER and READONLY_BUFFER without crashing (bypass 24)', () => {
    const p = asm().proto(5).text('F1.5\n').pop().op(0x96, 3, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3).pop().op(0x97, 0x98).pop().none().stop().bytesOut();
    const { found, summary } = walk(p);
    expect(found).toEqual([]);
    expect(summary.clean).toBe(true);
  });

  it('skips large byte payloads without materialising them', () => {
    const big = new Uint8Array(5_000_000);
    big.set(Buffer.from('cos\nsystem\n'), 100); // bytes that would look dangerous if walked as opcodes
    const p = asm().proto(4).bytes(big).stop().bytesOut();
    const w = new PickleWalker({ policy: defaultPolicy(), limits: DEFAULT_LIMITS, report: () => undefined });
    w.feed(p.subarray(0, 1000));
    expect(w.skippable).toBe(5_000_000 - (1000 - 7));
    w.skipped(w.skippable);
    w.feed(p.subarray(p.length - 1));
    expect(w.end()).toMatchObject({ pickles: 1, clean: true });
  });

  it('rejects an impossible payload length as malformed', () => {
    const p = Uint8Array.from([0x80, 4, 0x8e, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    expect(walk(p).rules).toEqual(['pickle-malformed']);
  });

  it('reports a payload that runs past the end as truncation', () => {
    const p = Uint8Array.from([0x80, 4, 0x8e, 0, 0, 0, 0, 1, 0, 0, 0, 1, 2, 3]);
    expect(walk(p).rules).toEqual(['pickle-truncated']);
  });

  it('recognises the torch legacy magic number and stops after its five pickles', () => {
    const magic = asm().proto(2).op(0x8a, 10, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19).stop().bytesOut();
    const plain = asm().proto(2).none().stop().bytesOut();
    const file = Uint8Array.from([...magic, ...plain, ...plain, ...plain, ...plain, 0xde, 0xad, 0xbe, 0xef]);
    const { found, summary } = walk(file);
    expect(summary.torchLegacy).toBe(true);
    expect(summary.pickles).toBe(5);
    expect(found).toEqual([]);
  });

  it('stops growing the memo at its limit, and reports names that needed a dropped entry as incomplete', () => {
    const a = asm().proto(4);
    for (let i = 0; i < 50; i++) a.none().memoize().pop();
    expect(walk(a.none().stop().bytesOut(), 7, { maxPickleMemo: 10 }).rules).toEqual(['pickle-memo-limit']);
    const b = asm().proto(4);
    for (let i = 0; i < 20; i++) b.none().memoize().pop();
    b.str('os').memoize().str('system').memoize().stackGlobal().pop().binget(20).binget(21).stackGlobal().none().stop();
    const r = walk(b.bytesOut(), 7, { maxPickleMemo: 10 });
    expect(r.rules).toEqual(['pickle-dangerous-global', 'pickle-memo-limit', 'scan-incomplete']);
  });

  it('bounds the MARK depth', () => {
    const a = asm().proto(4);
    for (let i = 0; i < 30; i++) a.mark();
    expect(walk(a.none().stop().bytesOut(), 7, { maxPickleStack: 10 }).rules).toEqual(['pickle-resource-limit']);
  });

  it('reports an unknown class as suspicious, and only once', () => {
    const p = asm().proto(2).global('mypkg.layers', 'Block').emptyTuple().op(0x81).pop().global('mypkg.layers', 'Block').pop().none().stop().bytesOut();
    const { found } = walk(p);
    expect(found.map((f) => f.rule)).toEqual(['pickle-unknown-global']);
  });

  it('maps Python 2 names (__builtin__.eval)', () => {
    expect(walk(asm().proto(2).global('__builtin__', 'eval').str('1').tuple1().reduce().stop().bytesOut()).found[0]!.message).toContain('__builtin__.eval');
  });

  it('reports an empty stream', () => {
    expect(walk(new Uint8Array(0)).rules).toEqual(['pickle-malformed']);
  });
});

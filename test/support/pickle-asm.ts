/**
 * A tiny pickle assembler for tests: opcodes written explicitly, so a test controls GLOBAL vs STACK_GLOBAL, memo
 * tricks and malformed streams exactly. Nothing here ever unpickles.
 */
export class Asm {
  private parts: number[] = [];

  op(...bytes: number[]): this {
    this.parts.push(...bytes);
    return this;
  }
  ch(c: string): this {
    return this.op(c.charCodeAt(0));
  }
  proto(v: number): this {
    return this.op(0x80, v);
  }
  global(module: string, name: string): this {
    return this.ch('c').text(`${module}\n${name}\n`);
  }
  inst(module: string, name: string): this {
    return this.ch('i').text(`${module}\n${name}\n`);
  }
  text(s: string): this {
    for (const b of Buffer.from(s, 'utf8')) this.parts.push(b);
    return this;
  }
  /** SHORT_BINUNICODE (protocol 4). */
  str(s: string): this {
    const b = Buffer.from(s, 'utf8');
    return this.op(0x8c, b.length, ...b);
  }
  /** BINUNICODE with a 4-byte length. */
  binunicode(s: string): this {
    const b = Buffer.from(s, 'utf8');
    return this.op(0x58, ...u32(b.length), ...b);
  }
  /** SHORT_BINBYTES or BINBYTES. */
  bytes(b: Uint8Array): this {
    if (b.length < 256) this.op(0x43, b.length);
    else this.op(0x42, ...u32(b.length));
    for (const x of b) this.parts.push(x);
    return this;
  }
  int(n: number): this {
    if (n >= 0 && n < 256) return this.op(0x4b, n);
    return this.op(0x4a, ...u32(n >>> 0));
  }
  stackGlobal(): this {
    return this.op(0x93);
  }
  memoize(): this {
    return this.op(0x94);
  }
  binput(i: number): this {
    return this.op(0x71, i);
  }
  binget(i: number): this {
    return this.op(0x68, i);
  }
  mark(): this {
    return this.ch('(');
  }
  tuple(): this {
    return this.ch('t');
  }
  tuple1(): this {
    return this.op(0x85);
  }
  tuple2(): this {
    return this.op(0x86);
  }
  tuple3(): this {
    return this.op(0x87);
  }
  emptyTuple(): this {
    return this.ch(')');
  }
  emptyDict(): this {
    return this.ch('}');
  }
  reduce(): this {
    return this.ch('R');
  }
  build(): this {
    return this.ch('b');
  }
  newobj(): this {
    return this.op(0x81);
  }
  pop(): this {
    return this.ch('0');
  }
  none(): this {
    return this.ch('N');
  }
  setitems(): this {
    return this.ch('u');
  }
  stop(): this {
    return this.ch('.');
  }
  /** `module.name(arg)` via STACK_GLOBAL, then STOP. */
  callStack(module: string, name: string, arg: string): this {
    return this.str(module).str(name).stackGlobal().str(arg).tuple1().reduce();
  }
  bytesOut(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

export const asm = (): Asm => new Asm();

function u32(n: number): number[] {
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
}

/** The classic payload: `os.system('touch /tmp/palisade-marker')` with GLOBAL (protocol 2). */
export function osSystemPickle(): Uint8Array {
  return asm().proto(2).global('os', 'system').str('touch /tmp/palisade-marker').tuple1().reduce().stop().bytesOut();
}

/** A benign protocol-2 pickle of an OrderedDict with one int. */
export function benignPickle(): Uint8Array {
  return asm().proto(2).global('collections', 'OrderedDict').emptyTuple().reduce().str('w').int(1).op(0x73).stop().bytesOut();
}

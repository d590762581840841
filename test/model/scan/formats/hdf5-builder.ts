/**
 * A tiny HDF5 writer for tests: just the structures the reader follows (superblock v0/v1/v2, object headers v1/v2
 * with continuation chunks, attribute messages, a global heap), laid out by hand so that tests can also break
 * them. Offsets and lengths are 8 bytes; addresses are relative to the superblock (the base address).
 */

export function le(value: number, width: number): number[] {
  const out: number[] = [];
  let v = BigInt(value);
  for (let i = 0; i < width; i++) {
    out.push(Number(v & 0xffn));
    v >>= 8n;
  }
  return out;
}

const UNDEF = Array<number>(8).fill(0xff);
const ascii = (s: string): number[] => [...Buffer.from(s, 'utf8')];
const pad8 = (b: number[]): number[] => [...b, ...Array<number>((8 - (b.length % 8)) % 8).fill(0)];

/** Datatype message bodies (spec §IV.A.2.d). */
export const datatype = {
  /** Fixed-length string, null-padded (h5py 2 / numpy `S`). */
  fixedString: (size: number): number[] => [0x13, 0x01, 0, 0, ...le(size, 4)],
  /** Variable-length string (h5py 3): element = length + global heap ID; base type is a 1-byte integer. */
  vlenString: (utf8 = false): number[] => [0x19, 0x01, utf8 ? 0x01 : 0x00, 0, ...le(16, 4), 0x10, 0, 0, 0, ...le(1, 4), 0, 0, 8, 0],
  int32: (): number[] => [0x10, 0x08, 0, 0, ...le(4, 4), 0, 0, 32, 0],
};

/** Dataspace message bodies (version 1). */
export const dataspace = {
  scalar: (): number[] => [1, 0, 0, 0, 0, 0, 0, 0],
  simple: (n: number): number[] => [1, 1, 0, 0, 0, 0, 0, 0, ...le(n, 8)],
};

/** An attribute message body, version 1 (name, datatype and dataspace padded to 8 bytes). */
export function attributeBody(name: string, dt: number[], ds: number[], data: number[]): number[] {
  const nameBytes = [...ascii(name), 0];
  return [1, 0, ...le(nameBytes.length, 2), ...le(dt.length, 2), ...le(ds.length, 2), ...pad8(nameBytes), ...pad8(dt), ...pad8(ds), ...data];
}

/** An attribute message body, version 2 (no padding; flag 0x01 marks the datatype as shared/committed). */
export function attributeBodyV2(name: string, dt: number[], ds: number[], data: number[], flags = 0): number[] {
  const nameBytes = [...ascii(name), 0];
  return [2, flags, ...le(nameBytes.length, 2), ...le(dt.length, 2), ...le(ds.length, 2), ...nameBytes, ...dt, ...ds, ...data];
}

export const fixedStringAttribute = (name: string, value: string): number[] => {
  const bytes = ascii(value);
  return attributeBody(name, datatype.fixedString(bytes.length), dataspace.scalar(), bytes);
};

export const vlenStringAttribute = (name: string, length: number, heap: number, index: number): number[] =>
  attributeBody(name, datatype.vlenString(), dataspace.scalar(), [...le(length, 4), ...le(heap, 8), ...le(index, 4)]);

export const MSG = { attribute: 0x0c, continuation: 0x10, attributeInfo: 0x15 } as const;

export interface Message {
  type: number;
  body: number[];
  flags?: number;
}

export const continuation = (address: number, length: number): Message => ({ type: MSG.continuation, body: [...le(address, 8), ...le(length, 8)] });

/** Messages in version 1 layout: type u16, size u16, flags, 3 reserved bytes, body padded to 8. */
export function v1Messages(messages: Message[]): number[] {
  return messages.flatMap((m) => {
    const body = pad8(m.body);
    return [...le(m.type, 2), ...le(body.length, 2), m.flags ?? 0, 0, 0, 0, ...body];
  });
}

/** A version 1 object header whose first chunk holds `messages`. */
export function v1Header(messages: Message[]): number[] {
  const chunk = v1Messages(messages);
  return [1, 0, ...le(messages.length, 2), ...le(1, 4), ...le(chunk.length, 4), 0, 0, 0, 0, ...chunk];
}

function v2Messages(messages: Message[]): number[] {
  return messages.flatMap((m) => [m.type, ...le(m.body.length, 2), m.flags ?? 0, ...m.body]);
}

/** A version 2 object header ("OHDR", 4-byte chunk size, checksum left zero: the reader does not verify it). */
export function v2Header(messages: Message[]): number[] {
  const chunk = v2Messages(messages);
  return [...ascii('OHDR'), 2, 0x02, ...le(chunk.length, 4), ...chunk, 0, 0, 0, 0];
}

/** A version 2 continuation chunk ("OCHK", messages, checksum). */
export function v2Continuation(messages: Message[]): number[] {
  return [...ascii('OCHK'), ...v2Messages(messages), 0, 0, 0, 0];
}

/** A global heap collection holding `objects` (index 1, 2, …) and its free-space object. */
export function globalHeap(objects: Uint8Array[]): number[] {
  const body = objects.flatMap((o, i) => [...le(i + 1, 2), ...le(1, 2), 0, 0, 0, 0, ...le(o.length, 8), ...pad8([...o])]);
  const used = 16 + body.length;
  const size = Math.max(4096, used + 16);
  const free = [...le(0, 2), 0, 0, 0, 0, 0, 0, ...le(size - used, 8)];
  return [...ascii('GCOL'), 1, 0, 0, 0, ...le(size, 8), ...body, ...free, ...Array<number>(size - used - 16).fill(0)];
}

/** Lays structures out one after another (8-byte aligned) behind a superblock, which `finish` writes last. */
export class H5Builder {
  private readonly bytes: number[] = [];

  constructor(
    readonly superblockVersion: 0 | 1 | 2 = 0,
    readonly userBlock = 0,
  ) {
    const sbSize = superblockVersion === 0 ? 96 : superblockVersion === 1 ? 100 : 48;
    this.bytes.push(...Array<number>(userBlock + sbSize).fill(0));
  }

  /** The address (relative to the base) the next structure will get. */
  get next(): number {
    return Math.ceil(this.bytes.length / 8) * 8 - this.userBlock;
  }

  place(structure: number[]): number {
    while (this.bytes.length % 8 !== 0) this.bytes.push(0);
    const address = this.bytes.length - this.userBlock;
    for (const byte of structure) this.bytes.push(byte);
    return address;
  }

  finish(rootHeader: number): Uint8Array {
    const eof = this.bytes.length - this.userBlock;
    const sig = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
    let sb: number[];
    if (this.superblockVersion === 2) {
      sb = [...sig, 2, 8, 8, 0, ...le(this.userBlock, 8), ...UNDEF, ...le(eof, 8), ...le(rootHeader, 8), 0, 0, 0, 0];
    } else {
      const k = this.superblockVersion === 1 ? [...le(32, 2), 0, 0] : [];
      sb = [
        ...sig, this.superblockVersion, 0, 0, 0, 0, 8, 8, 0, ...le(4, 2), ...le(16, 2), ...le(0, 4), ...k,
        ...le(this.userBlock, 8), ...UNDEF, ...le(eof, 8), ...UNDEF,
        ...le(0, 8), ...le(rootHeader, 8), ...le(0, 4), ...le(0, 4), ...Array<number>(16).fill(0),
      ];
    }
    const out = Uint8Array.from(this.bytes);
    out.set(sb, this.userBlock);
    return out;
  }
}

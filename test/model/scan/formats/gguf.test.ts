import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FileBlob, type Blob } from '../../../../src/model/scan/blob.js';
import { FINDINGS_PER_RULE } from '../../../../src/model/scan/formats/finding-budget.js';
import { scanGguf } from '../../../../src/model/scan/formats/gguf.js';
import { findTemplateInjection } from '../../../../src/model/scan/formats/gguf-template.js';
import type { ScanLimits } from '../../../../src/model/scan/limits.js';
import { tempDir } from '../../../support/tmp.js';
import { makeContext, scanBytes, scanWith } from '../support.js';

const FIXTURES = fileURLToPath(new URL('../../../fixtures/model/gguf/', import.meta.url));
const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(FIXTURES + name));

// gguf_metadata_value_type
const U8 = 0, U32 = 4, I32 = 5, F32 = 6, STR = 8, ARR = 9, U64 = 10;
// ggml_type
const GGML_F32 = 0, GGML_F16 = 1, GGML_Q8_0 = 8;

/** A little GGUF writer for tests (docs/gguf.md); every field can be set to a hostile value. */
class W {
  private readonly bytes: number[] = [];
  constructor(
    readonly le = true,
    readonly width: 4 | 8 = 8,
  ) {}

  get length(): number {
    return this.bytes.length;
  }
  raw(b: ArrayLike<number>): this {
    for (let i = 0; i < b.length; i++) this.bytes.push(b[i]!);
    return this;
  }
  u32(v: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v, this.le);
    return this.raw(b);
  }
  u64(v: bigint | number): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(v), this.le);
    return this.raw(b);
  }
  size(v: bigint | number): this {
    return this.width === 4 ? this.u32(Number(v)) : this.u64(v);
  }
  str(s: string): this {
    const b = new TextEncoder().encode(s);
    return this.size(b.length).raw(b);
  }
  pad(align: number): this {
    while (this.bytes.length % align !== 0) this.bytes.push(0);
    return this;
  }
  done(): Uint8Array {
    return new Uint8Array(this.bytes);
  }
}

type Kv = (w: W) => void;
const kvStr = (key: string, v: string): Kv => (w) => void w.str(key).u32(STR).str(v);
const kvU32 = (key: string, v: number): Kv => (w) => void w.str(key).u32(U32).u32(v);
const kvStrArr = (key: string, items: string[]): Kv => (w) => {
  w.str(key).u32(ARR).u32(STR).size(items.length);
  for (const s of items) w.str(s);
};

interface Tensor {
  name: string;
  dims: (number | bigint)[];
  type?: number;
  /** Data offset; contiguous and aligned when left out. */
  offset?: bigint;
  /** Data bytes written for it; computed for F32 when left out. */
  bytes?: number;
}

interface GgufSpec {
  version?: number;
  le?: boolean;
  kvs?: Kv[];
  tensors?: Tensor[];
  alignment?: number;
  tensorCount?: bigint;
  kvCount?: bigint;
  /** Bytes appended after the tensor data. */
  tail?: Uint8Array;
}

function gguf(spec: GgufSpec = {}): Uint8Array {
  const version = spec.version ?? 3;
  const w = new W(spec.le ?? true, version === 1 ? 4 : 8);
  const tensors = spec.tensors ?? [];
  const kvs = spec.kvs ?? [kvStr('general.architecture', 'llama')];
  const align = spec.alignment ?? 32;
  w.raw([0x47, 0x47, 0x55, 0x46]).u32(version).size(spec.tensorCount ?? tensors.length).size(spec.kvCount ?? kvs.length);
  for (const kv of kvs) kv(w);
  let next = 0n;
  let dataEnd = 0;
  for (const t of tensors) {
    const bytes = t.bytes ?? 4 * t.dims.reduce<number>((a, b) => a * Number(b), 1);
    const offset = t.offset ?? next;
    next = offset + BigInt(Math.ceil(bytes / align) * align);
    // Offsets far past the data (hostile ones) get no bytes written for them.
    if (Number(offset) + bytes < 1 << 20) dataEnd = Math.max(dataEnd, Number(offset) + bytes);
    w.str(t.name).u32(t.dims.length);
    for (const d of t.dims) w.size(d);
    w.u32(t.type ?? GGML_F32).u64(offset);
  }
  if (tensors.length > 0) w.pad(align);
  const data = new Uint8Array(Math.ceil(dataEnd / align) * align);
  w.raw(data);
  if (spec.tail !== undefined) w.raw(spec.tail);
  return w.done();
}

const scan = (bytes: Uint8Array | Blob, limits: Partial<ScanLimits> = {}) => scanWith(scanGguf, bytes, limits);

describe('gguf fixtures (scripts/fixtures/gguf.py)', () => {
  it('a small llama-style file is clean and detected by content', async () => {
    const r = await scanBytes(fixture('tiny-llama.gguf'));
    expect(r.format).toBe('gguf');
    expect(r.findings).toEqual([]);
  });

  it('reads a big-endian file', async () => {
    expect((await scanBytes(fixture('tiny-llama-be.gguf'))).findings).toEqual([]);
  });

  it('reads a version 1 file (32-bit counts and lengths)', async () => {
    expect((await scanBytes(fixture('tiny-v1.gguf'))).findings).toEqual([]);
  });

  it('flags the CVE-2024-34359 template', async () => {
    const r = await scanBytes(fixture('ssti-template.gguf'));
    expect(r.rules).toEqual(['gguf-chat-template-injection']);
    expect(r.findings[0]!.message).toContain('__class__');
  });

  it('flags a key-value count of 2^60 without allocating for it', async () => {
    const r = await scanBytes(fixture('kv-count-overflow.gguf'));
    expect(r.rules).toEqual(['gguf-count-out-of-bounds']);
    expect(r.findings[0]!.message).toContain('CVE-2024-23605');
  });

  it('flags a string length of 2^63', async () => {
    expect((await scanBytes(fixture('string-length-overflow.gguf'))).rules).toEqual(['gguf-length-out-of-bounds']);
  });

  it('flags tensors sharing bytes', async () => {
    expect((await scanBytes(fixture('overlapping-tensors.gguf'))).rules).toEqual(['gguf-tensor-overlap']);
  });
});

describe('gguf header', () => {
  it('accepts a minimal valid file built here', async () => {
    const r = await scan(gguf({ tensors: [{ name: 'w', dims: [4, 2] }, { name: 'b', dims: [3] }] }));
    expect(r.findings).toEqual([]);
  });

  it.each([0, 4, 0x00030000, 0xffffffff])('flags version %i', async (version) => {
    expect((await scan(gguf({ version }))).rules).toEqual(['gguf-unsupported-version']);
  });

  it('reads a big-endian file built here, and flags its problems too', async () => {
    expect((await scan(gguf({ le: false, tensors: [{ name: 'w', dims: [8] }] }))).findings).toEqual([]);
    const r = await scan(gguf({ le: false, kvs: [kvStr('tokenizer.chat_template', '{{ x.__class__ }}')] }));
    expect(r.rules).toEqual(['gguf-chat-template-injection']);
  });

  it('reads a big-endian file whose magic was written as a big-endian u32 ("FUGG")', async () => {
    const be = gguf({ le: false, kvs: [kvStr('tokenizer.chat_template', '{{ x.__class__ }}')] });
    be.set([0x46, 0x55, 0x47, 0x47]);
    expect((await scan(be)).rules).toEqual(['gguf-chat-template-injection']);
  });

  it('flags a file without the magic when called directly', async () => {
    expect((await scan(new TextEncoder().encode('NOTGGUF!'))).rules).toEqual(['gguf-malformed-header']);
  });

  it('flags a file cut inside the header', async () => {
    const whole = gguf({ kvs: [kvStr('general.name', 'x'), kvU32('general.alignment', 32)] });
    expect((await scan(whole.subarray(0, whole.length - 2))).rules).toEqual(['gguf-truncated']);
    expect((await scan(whole.subarray(0, 6))).rules).toEqual(['gguf-truncated']);
    expect((await scan(whole.subarray(0, 20))).rules).toEqual(['gguf-truncated']);
  });

  it('flags a string cut by the end of the file as a length beyond the file', async () => {
    const whole = gguf({ kvs: [kvStr('general.name', 'a much longer name than what is left')] });
    expect((await scan(whole.subarray(0, whole.length - 10))).rules).toEqual(['gguf-length-out-of-bounds']);
  });

  it('flags a tensor count that cannot fit (CVE-2024-21836)', async () => {
    const r = await scan(gguf({ tensorCount: 1n << 40n }));
    expect(r.rules).toEqual(['gguf-count-out-of-bounds']);
    expect(r.findings[0]!.message).toContain('CVE-2024-21836');
  });

  it('flags a key-value count of 2^64 - 1', async () => {
    expect((await scan(gguf({ kvCount: 2n ** 64n - 1n }))).rules).toEqual(['gguf-count-out-of-bounds']);
  });

  it('stops at the metadata limit', async () => {
    const r = await scan(gguf({ kvs: [kvStr('general.description', 'x'.repeat(5000)), kvStr('general.name', 'n')] }), { maxMetadataBytes: 1024 });
    expect(r.rules).toEqual(['scan-incomplete']);
  });
});

describe('gguf metadata values', () => {
  it('skips arrays of every fixed-size type and of strings', async () => {
    const kvs: Kv[] = [
      kvStrArr('tokenizer.ggml.tokens', ['<s>', '</s>', 'a', '']),
      (w) => void w.str('tokenizer.ggml.scores').u32(ARR).u32(F32).size(3).u32(0).u32(0).u32(0),
      (w) => void w.str('tokenizer.ggml.token_type').u32(ARR).u32(I32).size(2).u32(1).u32(1),
      (w) => void w.str('x.u64').u32(U64).u64(7),
      (w) => void w.str('x.bytes').u32(ARR).u32(U8).size(5).raw([1, 2, 3, 4, 5]),
      (w) => void w.str('x.empty').u32(ARR).u32(STR).size(0),
    ];
    expect((await scan(gguf({ kvs }))).findings).toEqual([]);
  });

  it('flags an unknown value type (and stops: its size is unknown)', async () => {
    const r = await scan(gguf({ kvs: [(w) => void w.str('x').u32(13).u32(0), kvStr('tokenizer.chat_template', '{{ x.__class__ }}')] }));
    expect(r.rules).toEqual(['gguf-invalid-value-type']);
  });

  it('flags an unknown array element type', async () => {
    expect((await scan(gguf({ kvs: [(w) => void w.str('x').u32(ARR).u32(99).size(0)] }))).rules).toEqual(['gguf-invalid-value-type']);
  });

  it('flags an array longer than the file (CVE-2024-21825)', async () => {
    const r = await scan(gguf({ kvs: [(w) => void w.str('x').u32(ARR).u32(U32).size(1n << 62n)] }));
    expect(r.rules).toEqual(['gguf-length-out-of-bounds']);
  });

  it('flags a string inside an array longer than the file', async () => {
    const r = await scan(gguf({ kvs: [(w) => void w.str('tokenizer.ggml.tokens').u32(ARR).u32(STR).size(2).str('a').u64(1n << 50n)] }));
    expect(r.rules).toEqual(['gguf-length-out-of-bounds']);
  });

  it('flags arrays of arrays but still reads past them', async () => {
    const nested: Kv = (w) => void w.str('x.nested').u32(ARR).u32(ARR).size(2).u32(U8).size(2).raw([1, 2]).u32(STR).size(1).str('s');
    const r = await scan(gguf({ kvs: [nested, kvStr('tokenizer.chat_template', '{{ ().__class__ }}')] }));
    expect(r.rules).toEqual(['gguf-chat-template-injection', 'gguf-nested-array']);
  });

  it('stops on arrays nested past the depth limit without recursion', async () => {
    const deep: Kv = (w) => {
      w.str('x.deep').u32(ARR);
      for (let i = 0; i < 5000; i++) w.u32(ARR).size(1);
      w.u32(U8).size(0);
    };
    const r = await scan(gguf({ kvs: [deep] }));
    expect(r.rules).toEqual(['gguf-nested-array', 'scan-incomplete']);
  });

  it('flags duplicate keys and checks both chat templates', async () => {
    const r = await scan(
      gguf({ kvs: [kvStr('tokenizer.chat_template', '{{ messages[0].content }}'), kvStr('tokenizer.chat_template', "{{ cycler.__init__.__globals__.os.popen('id').read() }}")] }),
    );
    expect(r.rules).toEqual(['gguf-chat-template-injection', 'gguf-duplicate-name']);
  });

  it('checks named chat templates (tokenizer.chat_template.tool_use)', async () => {
    const r = await scan(gguf({ kvs: [kvStr('tokenizer.chat_template.tool_use', '{{ lipsum.__globals__ }}')] }));
    expect(r.rules).toEqual(['gguf-chat-template-injection']);
  });

  it('flags a chat template that is not a string', async () => {
    expect((await scan(gguf({ kvs: [kvStrArr('tokenizer.chat_template', ['{{ x }}'])] }))).rules).toEqual(['gguf-malformed-header']);
  });

  it('flags an empty key', async () => {
    expect((await scan(gguf({ kvs: [kvStr('', 'x')] }))).rules).toEqual(['gguf-malformed-header']);
  });

  it.each([
    ['zero', kvU32('general.alignment', 0)],
    ['not a power of two', kvU32('general.alignment', 48)],
    ['stored as u64', (w: W) => void w.str('general.alignment').u32(U64).u64(32)],
  ])('flags general.alignment %s', async (_what, kv) => {
    expect((await scan(gguf({ kvs: [kv] }))).rules).toEqual(['gguf-bad-alignment']);
  });

  it('uses general.alignment for the layout', async () => {
    const r = await scan(gguf({ kvs: [kvU32('general.alignment', 64)], alignment: 64, tensors: [{ name: 'a', dims: [3] }, { name: 'b', dims: [5] }] }));
    expect(r.findings).toEqual([]);
  });
});

describe('gguf tensor infos', () => {
  const one = (t: Tensor, extra: Partial<GgufSpec> = {}) => scan(gguf({ tensors: [t], ...extra }));

  it('accepts quantised tensors of whole blocks', async () => {
    expect((await one({ name: 'q', dims: [64, 2], type: GGML_Q8_0, bytes: 4 * 34 })).findings).toEqual([]);
    expect((await one({ name: 'h', dims: [6], type: GGML_F16, bytes: 12 })).findings).toEqual([]);
  });

  it('flags more than 4 dimensions (CVE-2024-21802)', async () => {
    const r = await one({ name: 'w', dims: [1, 1, 1, 1, 2] });
    expect(r.rules).toEqual(['gguf-tensor-bad-shape']);
    expect(r.findings[0]!.message).toContain('CVE-2024-21802');
  });

  it('flags an n_dims of 2^32 - 1 as running past the file', async () => {
    const w = new W().raw([0x47, 0x47, 0x55, 0x46]).u32(3).u64(1).u64(0).str('w').u32(0xffffffff).u64(1).raw(new Uint8Array(64));
    expect((await scan(w.done())).rules).toEqual(['gguf-length-out-of-bounds', 'gguf-tensor-bad-shape']);
  });

  it('flags a negative dimension', async () => {
    expect((await one({ name: 'w', dims: [2n ** 64n - 1n] })).rules).toEqual(['gguf-tensor-bad-shape']);
  });

  it('flags an element count that overflows int64 (CVE-2025-53630)', async () => {
    expect((await one({ name: 'w', dims: [1n << 40n, 1n << 40n], bytes: 32 })).rules).toEqual(['gguf-tensor-bad-shape']);
  });

  it('flags a row that is not a whole number of quantisation blocks', async () => {
    expect((await one({ name: 'q', dims: [33], type: GGML_Q8_0, bytes: 34 })).rules).toEqual(['gguf-tensor-bad-shape']);
  });

  it.each([4, 31, 43, 0x80000000])('flags ggml type %i as unknown', async (type) => {
    expect((await one({ name: 'w', dims: [8], type, bytes: 32 })).rules).toEqual(['gguf-tensor-unknown-type']);
  });

  it('flags a tensor reaching past the end of the file', async () => {
    const r = await one({ name: 'w', dims: [8], offset: 1n << 40n, bytes: 0 });
    expect(r.rules).toEqual(['gguf-tensor-out-of-bounds']);
  });

  it('flags a file whose data section is cut short', async () => {
    const whole = gguf({ tensors: [{ name: 'w', dims: [64] }] });
    expect((await scan(whole.subarray(0, whole.length - 64))).rules).toEqual(['gguf-tensor-out-of-bounds']);
  });

  it('flags a misaligned offset', async () => {
    const r = await scan(gguf({ tensors: [{ name: 'a', dims: [2] }, { name: 'b', dims: [2], offset: 8n }] }));
    expect(r.rules).toEqual(['gguf-tensor-misaligned']);
  });

  it('flags the hole a misaligned first tensor leaves', async () => {
    expect((await one({ name: 'w', dims: [1], offset: 4n, bytes: 8 })).rules).toEqual(['gguf-tensor-gap', 'gguf-tensor-misaligned']);
  });

  it('flags a gap between tensors', async () => {
    const r = await scan(gguf({ tensors: [{ name: 'a', dims: [8] }, { name: 'b', dims: [8], offset: 128n }] }));
    expect(r.rules).toEqual(['gguf-tensor-gap']);
  });

  it('flags data after the last tensor and scans it as a file', async () => {
    const tail = new Uint8Array(64).fill(0x41);
    const r = await scan(gguf({ tensors: [{ name: 'a', dims: [8] }], tail }));
    expect(r.rules).toEqual(['gguf-trailing-data']);
  });

  it('finds a malicious pickle appended to a valid file (polyglot)', async () => {
    const enc = new TextEncoder();
    const pickle = Uint8Array.from([0x80, 0x02, ...enc.encode('cos\nsystem\nX'), 2, 0, 0, 0, ...enc.encode('id'), 0x85, 0x52, 0x2e]);
    const r = await scan(gguf({ tensors: [{ name: 'a', dims: [8] }], tail: pickle }));
    expect(r.rules).toEqual(['gguf-trailing-data', 'pickle-dangerous-global']);
  });

  it('flags data after the header of a file without tensors', async () => {
    expect((await scan(gguf({ tail: new Uint8Array(100) }))).rules).toEqual(['gguf-trailing-data']);
  });

  it('flags duplicate tensor names and over-long names', async () => {
    const dup = await scan(gguf({ tensors: [{ name: 'w', dims: [8] }, { name: 'w', dims: [8] }] }));
    expect(dup.rules).toEqual(['gguf-duplicate-name']);
    expect((await one({ name: 'n'.repeat(64), dims: [8] })).rules).toEqual(['gguf-malformed-header']);
  });

  it('caps findings per rule', async () => {
    const tensors = Array.from({ length: 60 }, (_, i) => ({ name: `t${i}`, dims: [8], type: 4, bytes: 32 }));
    const r = await scan(gguf({ tensors }));
    const unknown = r.findings.filter((f) => f.rule === 'gguf-tensor-unknown-type');
    expect(unknown).toHaveLength(FINDINGS_PER_RULE + 1);
    expect(unknown.at(-1)!.message).toContain('40 more');
  });
});

/** A blob of `size` bytes whose first bytes are `head` and the rest zeros; counts what is read. */
class SparseBlob implements Blob {
  bytesRead = 0;
  constructor(
    private readonly head: Uint8Array,
    readonly size: number,
  ) {}

  async read(offset: number, length: number): Promise<Uint8Array> {
    const n = Math.max(0, Math.min(length, this.size - offset));
    this.bytesRead += n;
    const out = new Uint8Array(n);
    if (offset < this.head.length) out.set(this.head.subarray(offset, offset + n));
    return out;
  }
}

describe('gguf performance', () => {
  it('costs what the header costs on a 64 GiB file', async () => {
    const elements = 2n ** 34n; // F32: 64 GiB
    const head = gguf({ tensors: [{ name: 'w', dims: [elements], bytes: 0 }] });
    const blob = new SparseBlob(head, head.length + 2 ** 36);
    const r = await scan(blob);
    expect(r.findings).toEqual([]);
    expect(blob.bytesRead).toBeLessThanOrEqual(head.length + 64 * 1024);
  });

  it('scans a sparse 16 GiB file on disk through its header only', async () => {
    const elements = 2n ** 32n; // F32: 16 GiB
    const head = gguf({ kvs: [kvStr('tokenizer.chat_template', CHATML)], tensors: [{ name: 'w', dims: [elements], bytes: 0 }] });
    const path = join(tempDir(), 'big.gguf');
    writeFileSync(path, head);
    truncateSync(path, head.length + 2 ** 34);
    const blob = await FileBlob.open(path);
    try {
      const { ctx, findings } = makeContext();
      const started = performance.now();
      expect(await scanGguf(blob, ctx)).toBe('gguf');
      expect(findings).toEqual([]);
      expect(performance.now() - started).toBeLessThan(1000);
    } finally {
      await blob.close();
    }
  });

  it('walks a 150,000-token vocabulary quickly', async () => {
    const tokens = Array.from({ length: 150_000 }, (_, i) => `tok${i}`);
    const started = performance.now();
    const r = await scan(gguf({ kvs: [kvStrArr('tokenizer.ggml.tokens', tokens), kvStr('tokenizer.chat_template', CHATML)] }));
    expect(r.findings).toEqual([]);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

// Ordinary chat templates as published with their models (near misses: loops, namespace(), raise_exception,
// string methods, tojson, selectattr, slicing, unicode special tokens, and words like "builtin" and "ipython").
const CHATML =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
const LLAMA3 =
  "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";
const MISTRAL =
  "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}";
const GEMMA =
  "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}{{ '<start_of_turn>' + role + '\\n' + message['content'] | trim + '<end_of_turn>\\n' }}{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\\n'}}{% endif %}";
const LLAMA31_TOOLS = `{{- bos_token }}
{%- if custom_tools is defined %}{%- set tools = custom_tools %}{%- endif %}
{%- if not tools_in_user_message is defined %}{%- set tools_in_user_message = true %}{%- endif %}
{%- if not date_string is defined %}{%- set date_string = "26 Jul 2024" %}{%- endif %}
{#- This block extracts the system message, so we can slot it into the right place. #}
{%- if messages[0]['role'] == 'system' %}
    {%- set system_message = messages[0]['content']|trim %}
    {%- set messages = messages[1:] %}
{%- else %}{%- set system_message = "" %}{%- endif %}
{{- "<|start_header_id|>system<|end_header_id|>\\n\\n" }}
{%- if builtin_tools is defined or tools is not none %}{{- "Environment: ipython\\n" }}{%- endif %}
{%- if builtin_tools is defined %}
    {{- "Tools: " + builtin_tools | reject('equalto', 'code_interpreter') | join(", ") + "\\n\\n"}}
{%- endif %}
{{- "Cutting Knowledge Date: December 2023\\n" }}
{{- "Today Date: " + date_string + "\\n\\n" }}
{%- for message in messages %}
    {%- if 'tool_calls' in message %}
        {%- if not message.tool_calls|length == 1 %}{{- raise_exception("This model only supports single tool-calls at once!") }}{%- endif %}
        {%- set tool_call = message.tool_calls[0].function %}
        {%- if builtin_tools is defined and tool_call.name in builtin_tools %}
            {{- "<|python_tag|>" + tool_call.name + ".call(" }}
            {%- for arg_name, arg_val in tool_call.arguments | items %}
                {{- arg_name + '="' + arg_val + '"' }}{%- if not loop.last %}{{- ", " }}{%- endif %}
            {%- endfor %}
            {{- ")" }}
        {%- else %}
            {{- '{"name": "' + tool_call.name + '", "parameters": ' }}{{- tool_call.arguments | tojson }}{{- "}" }}
        {%- endif %}
    {%- elif message.role == "tool" or message.role == "ipython" %}
        {%- if message.content is mapping or message.content is iterable %}{{- message.content | tojson }}{%- else %}{{- message.content }}{%- endif %}
    {%- endif %}
{%- endfor %}`;
const MISTRAL_TOOLS = `{%- set user_messages = loop_messages | selectattr("role", "equalto", "user") | list -%}
{%- for tool in tools -%}{%- set tool = tool.function -%}
  {%- for key, val in tool.items() if key != "return" -%}
    {%- if val is string -%}{{- '"' + key + '": "' + val + '"' -}}{%- else -%}{{- '"' + key + '": ' + val|tojson -}}{%- endif -%}
  {%- endfor -%}
{%- endfor -%}
{%- for tool_call in tool_calls -%}{%- set out = tool_call.function|tojson -%}{{- out[:-1] -}}
  {%- if not tool_call.id is defined or tool_call.id|length != 9 -%}{{- raise_exception("Tool call IDs should be alphanumeric strings with length 9!") -}}{%- endif -%}
{%- endfor -%}
{{- '[TOOL_RESULTS]{"content": ' + content|string + ", " -}}`;
const QWEN_LIKE = `{%- set ns = namespace(multi_step_tool=true, last_query_index=messages|length - 1) %}
{%- for message in messages[::-1] %}
    {%- set index = (messages|length - 1) - loop.index0 %}
    {%- if ns.multi_step_tool and message.role == "user" and not(message.content.startswith('<tool_response>') and message.content.endswith('</tool_response>')) %}
        {%- set ns.multi_step_tool = false %}{%- set ns.last_query_index = index %}
    {%- endif %}
{%- endfor %}
{%- for message in messages %}
    {%- if message.role == "assistant" %}
        {%- set content = message.content.split('</think>')[-1].lstrip('\\n') %}
        {%- set reasoning_content = message.content.split('</think>')[0].rstrip('\\n').split('<think>')[-1].lstrip('\\n') %}
        {{- '<|im_start|>' + message.role + '\\n' + content.strip() }}
        {%- for tool_call in message.tool_calls %}{{- '{"name": "' }}{{- tool_call.function.name }}{{- tool_call.function.arguments | tojson }}{%- endfor %}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}`;
const DEEPSEEK_LIKE =
  "{% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}{% endif %}{% set ns = namespace(is_first=false, is_tool=false, is_output_first=true, system_prompt='') %}{%- for message in messages %}{%- if message['role'] == 'system' %}{% set ns.system_prompt = message['content'] %}{%- endif %}{%- endfor %}{{bos_token}}{{ns.system_prompt}}{%- for message in messages %}{%- if message['role'] == 'user' %}{%- set ns.is_tool = false -%}{{'<｜User｜>' + message['content']}}{%- endif %}{%- if message['role'] == 'assistant' and message['content'] is none %}{%- for tool in message['tool_calls']%}{{'<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>' + tool['type'] + '<｜tool▁sep｜>' + tool['function']['name'] + '\\n' + '```json' + '\\n' + tool['function']['arguments'] + '\\n' + '```' + '<｜tool▁call▁end｜>'}}{%- endfor %}{%- endif %}{%- endfor -%}{% if add_generation_prompt and not ns.is_tool %}{{'<｜Assistant｜>'}}{% endif %}";
const PHI3 =
  "{% for message in messages %}{% if message['role'] == 'system' %}{{'<|system|>\\n' + message['content'] + '<|end|>\\n'}}{% elif message['role'] == 'user' %}{{'<|user|>\\n' + message['content'] + '<|end|>\\n'}}{% elif message['role'] == 'assistant' %}{{'<|assistant|>\\n' + message['content'] + '<|end|>\\n'}}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% else %}{{ eos_token }}{% endif %}";
const ZEPHYR =
  "{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'system' %}\n{{ '<|system|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n{% endif %}\n{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}";
const HARMLESS_TEXT = '{# Python __init__ docs: see __class__ #}System: explain __init__ and __class__ in Python.\n{% raw %}{{ x.__class__ }}{% endraw %}{{ messages[-1].content }}';
const SLICES_OF_STRINGS = "{{ (tool_call.arguments|string)[:200] }}{{ (message.content|string)[1:-1] }}{{ roles[loop.index0 % 2] }}{{ messages[loop.index0 + 1]['role'] }}";
const SORTS_AND_MAPS =
  "{% for m in messages|sort(attribute='role', reverse=true) %}{{ m.content|replace('_', ' ')|upper }}{% endfor %}{{ tools|map(attribute='name')|join(', ') }}{% set _ = names.append('x') %}{{ (messages|length) ~ ' messages' }}{{ messages[messages|length - 1]['content'] }}";

describe('chat template analysis: ordinary templates stay clean', () => {
  it.each([
    ['ChatML', CHATML],
    ['Llama 3', LLAMA3],
    ['Llama 3.1 with tools', LLAMA31_TOOLS],
    ['Mistral v0.1', MISTRAL],
    ['Mistral with tools', MISTRAL_TOOLS],
    ['Gemma', GEMMA],
    ['Qwen-style with namespace()', QWEN_LIKE],
    ['DeepSeek-style with unicode tokens', DEEPSEEK_LIKE],
    ['Phi-3', PHI3],
    ['Zephyr', ZEPHYR],
    ['dunders in literal text, comments and raw blocks', HARMLESS_TEXT],
    ['sort, map, replace and _ assignments', SORTS_AND_MAPS],
    ['slices of rendered strings', SLICES_OF_STRINGS],
  ])('%s', (_name, template) => {
    expect(findTemplateInjection(template)).toEqual([]);
  });

  it('a GGUF carrying each of them is clean', async () => {
    for (const template of [CHATML, LLAMA31_TOOLS, QWEN_LIKE, DEEPSEEK_LIKE]) {
      expect((await scan(gguf({ kvs: [kvStr('tokenizer.chat_template', template)] }))).findings).toEqual([]);
    }
  });
});

describe('chat template analysis: escapes to Python are flagged', () => {
  it.each([
    ['CVE-2024-34359 proof of concept', `{% for x in ().__class__.__base__.__subclasses__() %}{% if "warning" in x.__name__ %}{{x()._module.__builtins__['__import__']('os').popen("id").read()}}{%endif%}{% endfor %}`],
    ['self.__init__.__globals__', '{{ self.__init__.__globals__.__builtins__ }}'],
    ['lipsum globals to os.popen', "{{ lipsum.__globals__.os.popen('id').read() }}"],
    ['mro walk', "{{ ''.__class__.__mro__[1].__subclasses__() }}"],
    ['mro() call', '{{ x.mro() }}'],
    ['|attr with a dunder', "{{ ()|attr('__class__') }}"],
    ['|attr with hex escapes', "{{ ()|attr('\\x5f\\x5fclass\\x5f\\x5f') }}"],
    ['unicode escapes', '{{ x["\\u005f\\u005fclass\\u005f\\u005f"] }}'],
    ['octal escapes', "{{ x['\\137\\137class\\137\\137'] }}"],
    ['named escape', "{{ x['\\N{LOW LINE}\\N{LOW LINE}class\\N{LOW LINE}\\N{LOW LINE}'] }}"],
    ['|attr with a joined list', "{{ ()|attr(['_'*2,'class','_'*2]|join) }}"],
    ['concatenated subscript', "{{ ()['_'+'_cla'+'ss_'+'_'] }}"],
    ['pieces joined with ~ across tags', "{% set u = '_' %}{{ ()[u*2 ~ 'class' ~ u*2] }}"],
    ['reversed string', "{{ ()|attr('__ssalc__'|reverse) }}"],
    ['replace-built name in a subscript', "{{ x['xxglobalsxx'|replace('x','_')] }}"],
    ['%c formatting', "{{ ('%c%c'|format(95,95)) ~ 'class' }}"],
    ['characters picked from a repr', '{{ (lipsum|string|list)[18] }}'],
    ['a character indexed out of a repr', '{{ (()|select|string)[24] }}'],
    ['keyword argument gadget', '{% set u = dict(_=1)|first %}'],
    ['computed map attribute', '{{ x|map(attribute=k)|list }}'],
    ['dunder keyword', '{{ dict(__class__=1) }}'],
    ['subscript string', "{{ x['__globals__']['os'] }}"],
    ['filter block attr', "{% filter attr('__class__') %}{% endfilter %}"],
    ['eval', "{{ eval('1+1') }}"],
    ['subprocess', "{{ subprocess.run(['id']) }}"],
    ['str.format attribute lookup', '{{ "{0.__class__}".format(x) }}'],
    ['private attribute', '{{ x._TemplateReference__context }}'],
    ['whitespace-controlled tags', "{%- for c in ''.__class__.__base__.__subclasses__() -%}{%- endfor -%}"],
  ])('%s', (_name, template) => {
    expect(findTemplateInjection(template)).not.toEqual([]);
  });

  it('an unterminated tag is still analysed', () => {
    expect(findTemplateInjection('{{ x.__class__')).not.toEqual([]);
  });

  it('a tag of many unclosed brackets is handled in linear time', () => {
    const started = performance.now();
    findTemplateInjection('{{ ' + 'a['.repeat(200_000) + ' }}');
    expect(performance.now() - started).toBeLessThan(3000);
  });

  it('a large template is handled in linear time', () => {
    const big = CHATML.repeat(5_000); // about 1 MiB, the most that is analysed per template
    const started = performance.now();
    expect(findTemplateInjection(big)).toEqual([]);
    expect(performance.now() - started).toBeLessThan(3000);
  });
});

describe('gguf robustness (property)', () => {
  const valid = fixture('tiny-llama.gguf');

  it('never throws on random bytes after the magic', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), async (rest) => {
        const bytes = new Uint8Array(4 + rest.length);
        bytes.set([0x47, 0x47, 0x55, 0x46]);
        bytes.set(rest, 4);
        await scan(bytes);
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  it('never throws on mutations of a valid file', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        fc.nat(valid.length),
        async (edits, cut) => {
          const bytes = valid.slice(0, Math.max(cut, 4));
          for (const [at, v] of edits) if (at < bytes.length) bytes[at] = v;
          expect((await scan(bytes)).format).toBe('gguf');
        },
      ),
      { seed: 42, numRuns: 300 },
    );
  });

  it('never throws on random templates', () => {
    const piece = fc.constantFrom('{{', '}}', '{%', '%}', '{#', '#}', "'", '"', '\\', '\\x5f', '_', '__class__', '|', 'attr', '(', ')', '[', ']', 'raw', 'endraw', ' ', 'x', '.', '~', '*', '2', '-');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 60 }), (pieces) => {
        findTemplateInjection(pieces.join(''));
      }),
      { seed: 42, numRuns: 300 },
    );
  });
});

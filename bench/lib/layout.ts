/** A float32 tensor of a generated checkpoint. */
export interface TensorSpec {
  name: string;
  shape: number[];
}

export const FLOAT32 = 4;

export function numel(t: TensorSpec): number {
  return t.shape.reduce((a, b) => a * b, 1);
}

export function byteSize(t: TensorSpec): number {
  return numel(t) * FLOAT32;
}

/** Row-major strides, as torch records them for a contiguous tensor. */
export function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  for (let i = shape.length - 1, acc = 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

export interface TransformerShape {
  /** Bytes of tensor data wanted; the embedding takes up the slack, so the total is within one row of this. */
  targetBytes: number;
  layers: number;
  /** Hidden sizes are multiples of this (64 for real models; smaller for tiny test files). */
  align?: number;
  positions?: number;
}

/**
 * A GPT-2-style decoder's state_dict: 16 tensors per layer (two layer norms, q/k/v/o projections, a 4× MLP) plus
 * token and position embeddings and a final norm — 388 tensors for 24 layers. The hidden size is the largest
 * multiple of `align` that fits the target; the vocabulary fills the rest.
 */
export function transformerLayout(spec: TransformerShape): TensorSpec[] {
  const align = spec.align ?? 64;
  const positions = spec.positions ?? 1024;
  const floats = Math.floor(spec.targetBytes / FLOAT32);
  const fixed = (h: number): number => spec.layers * (12 * h * h + 13 * h) + positions * h + 2 * h;
  let h = align;
  while (fixed(h + align) + 1000 * (h + align) <= floats) h += align;
  const vocab = Math.floor((floats - fixed(h)) / h);
  if (vocab < 1) throw new Error(`target ${spec.targetBytes} bytes is too small for ${spec.layers} layers`);
  const t: TensorSpec[] = [
    { name: 'embed_tokens.weight', shape: [vocab, h] },
    { name: 'embed_positions.weight', shape: [positions, h] },
  ];
  for (let i = 0; i < spec.layers; i++) {
    const p = `layers.${i}`;
    t.push({ name: `${p}.ln_1.weight`, shape: [h] }, { name: `${p}.ln_1.bias`, shape: [h] });
    for (const proj of ['q_proj', 'k_proj', 'v_proj', 'out_proj']) {
      t.push({ name: `${p}.attn.${proj}.weight`, shape: [h, h] }, { name: `${p}.attn.${proj}.bias`, shape: [h] });
    }
    t.push({ name: `${p}.ln_2.weight`, shape: [h] }, { name: `${p}.ln_2.bias`, shape: [h] });
    t.push({ name: `${p}.mlp.fc_in.weight`, shape: [4 * h, h] }, { name: `${p}.mlp.fc_in.bias`, shape: [4 * h] });
    t.push({ name: `${p}.mlp.fc_out.weight`, shape: [h, 4 * h] }, { name: `${p}.mlp.fc_out.bias`, shape: [h] });
  }
  t.push({ name: 'ln_f.weight', shape: [h] }, { name: 'ln_f.bias', shape: [h] });
  return t;
}

/** `count` tensors of `bytes` each (a sharded embedding table, a bank of small conv filters). */
export function uniformLayout(count: number, bytes: number): TensorSpec[] {
  const cols = 64;
  const rows = Math.max(1, Math.floor(bytes / FLOAT32 / cols));
  return Array.from({ length: count }, (_, i) => ({ name: `shards.${i}.weight`, shape: [rows, cols] }));
}

/** Module prefixes in first-seen order, parents first: the keys of a state_dict's `_metadata`. */
export function modulePrefixes(tensors: readonly TensorSpec[]): string[] {
  const seen = new Set<string>(['']);
  for (const t of tensors) {
    const parts = t.name.split('.');
    for (let i = 1; i < parts.length; i++) seen.add(parts.slice(0, i).join('.'));
  }
  return [...seen];
}

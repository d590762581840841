/**
 * The GGUF value types and the ggml tensor types, as ggml defines them (ggml-org/ggml `docs/gguf.md`,
 * `include/ggml.h` `enum ggml_type`, block layouts in `src/ggml-common.h`).
 */

/** `enum gguf_metadata_value_type`. */
export const GGUF_TYPE = {
  UINT8: 0,
  INT8: 1,
  UINT16: 2,
  INT16: 3,
  UINT32: 4,
  INT32: 5,
  FLOAT32: 6,
  BOOL: 7,
  STRING: 8,
  ARRAY: 9,
  UINT64: 10,
  INT64: 11,
  FLOAT64: 12,
} as const;

const VALUE_TYPE_NAMES = ['u8', 'i8', 'u16', 'i16', 'u32', 'i32', 'f32', 'bool', 'string', 'array', 'u64', 'i64', 'f64'];
/** Bytes of each fixed-size value type; strings and arrays have no fixed size. */
const VALUE_SIZES = [1, 1, 2, 2, 4, 4, 4, 1, undefined, undefined, 8, 8, 8];

export function valueTypeName(t: number): string {
  return VALUE_TYPE_NAMES[t] ?? `unknown type ${t}`;
}

export function isValueType(t: number): boolean {
  return Number.isInteger(t) && t >= 0 && t < VALUE_TYPE_NAMES.length;
}

/** Size of a fixed-size value type, or undefined for string, array and unknown types. */
export function fixedValueSize(t: number): number | undefined {
  return VALUE_SIZES[t];
}

export interface GgmlType {
  readonly name: string;
  /** Elements per quantisation block. */
  readonly blockSize: number;
  /** Bytes per block. */
  readonly typeSize: number;
}

/**
 * Loadable tensor types: `type_traits` entries with a non-zero block size. Ids 4, 5, 31–33 and 36–38 were removed
 * from GGUF files and are absent here on purpose (current ggml refuses them; old readers read out of bounds).
 */
export const GGML_TYPES: ReadonlyMap<number, GgmlType> = new Map(
  (
    [
      [0, 'F32', 1, 4],
      [1, 'F16', 1, 2],
      [2, 'Q4_0', 32, 18],
      [3, 'Q4_1', 32, 20],
      [6, 'Q5_0', 32, 22],
      [7, 'Q5_1', 32, 24],
      [8, 'Q8_0', 32, 34],
      [9, 'Q8_1', 32, 36],
      [10, 'Q2_K', 256, 84],
      [11, 'Q3_K', 256, 110],
      [12, 'Q4_K', 256, 144],
      [13, 'Q5_K', 256, 176],
      [14, 'Q6_K', 256, 210],
      [15, 'Q8_K', 256, 292],
      [16, 'IQ2_XXS', 256, 66],
      [17, 'IQ2_XS', 256, 74],
      [18, 'IQ3_XXS', 256, 98],
      [19, 'IQ1_S', 256, 50],
      [20, 'IQ4_NL', 32, 18],
      [21, 'IQ3_S', 256, 110],
      [22, 'IQ2_S', 256, 82],
      [23, 'IQ4_XS', 256, 136],
      [24, 'I8', 1, 1],
      [25, 'I16', 1, 2],
      [26, 'I32', 1, 4],
      [27, 'I64', 1, 8],
      [28, 'F64', 1, 8],
      [29, 'IQ1_M', 256, 56],
      [30, 'BF16', 1, 2],
      [34, 'TQ1_0', 256, 54],
      [35, 'TQ2_0', 256, 66],
      [39, 'MXFP4', 32, 17],
      [40, 'NVFP4', 64, 36],
      [41, 'Q1_0', 128, 18],
      [42, 'Q2_0', 64, 18],
    ] as const
  ).map(([id, name, blockSize, typeSize]) => [id, { name, blockSize, typeSize }]),
);

/** The alignment a file without `general.alignment` uses (`GGUF_DEFAULT_ALIGNMENT`). */
export const DEFAULT_ALIGNMENT = 32;

/** Rounds `n` up to a multiple of `align` (the spec's `align_offset`). */
export function alignUp(n: number, align: number): number {
  const r = n % align;
  return r === 0 ? n : n + (align - r);
}

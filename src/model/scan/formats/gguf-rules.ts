import { defineRules } from '../rule.js';

/**
 * Rules of the GGUF scanner. The structural checks mirror the validation llama.cpp's reader gained after a series of
 * heap overflows in it (ggml `src/gguf.cpp`, `gguf_init_from_reader`); the template check covers the Jinja chat
 * templates that some loaders render.
 */
export const GGUF_RULES = defineRules({
  'gguf-unsupported-version': {
    severity: 'medium',
    impact: 'suspicious',
    title: 'Unknown GGUF version',
    help: 'Only GGUF versions 1, 2 and 3 exist. The header of any other version cannot be interpreted, so the file was not analysed. Check which tool wrote it.',
  },
  'gguf-truncated': {
    severity: 'medium',
    impact: 'suspicious',
    title: 'File ends inside the GGUF header',
    help: 'The file ends in the middle of a header field, so the rest of the header (and any chat template in it) could not be checked. Re-download the file from its source.',
  },
  'gguf-count-out-of-bounds': {
    severity: 'high',
    impact: 'unsafe',
    title: 'Tensor or key-value count larger than the file can hold',
    help: 'The header declares more tensors or metadata pairs than the remaining bytes could describe. Loaders that allocate for the declared count before reading overflowed the heap (llama.cpp CVE-2024-21836 for the tensor count, CVE-2024-23605 for the key-value count). Reject the file.',
  },
  'gguf-length-out-of-bounds': {
    severity: 'high',
    impact: 'unsafe',
    title: 'String or array length larger than the file',
    help: 'A string or array declares more bytes than remain in the file. Loaders that allocate or copy by the declared length overflowed the heap (llama.cpp CVE-2024-23496 in gguf_fread_str, CVE-2024-21825 for string and array values). Reject the file.',
  },
  'gguf-invalid-value-type': {
    severity: 'high',
    impact: 'suspicious',
    title: 'Metadata value of unknown type',
    help: 'A metadata value has a type outside the 13 the format defines. Its size is unknown, so the rest of the header could not be read, and old readers without a default case misinterpreted it. Reject the file or check which tool wrote it.',
  },
  'gguf-nested-array': {
    severity: 'low',
    impact: 'suspicious',
    title: 'Array of arrays in the metadata',
    help: 'llama.cpp refuses arrays of arrays and no standard key uses them; deep nesting exhausted the recursion of the Python GGUF reader. Check why the file needs them.',
  },
  'gguf-duplicate-name': {
    severity: 'medium',
    impact: 'suspicious',
    title: 'Metadata key or tensor name appears twice',
    help: 'Readers disagree on duplicates: llama.cpp refuses them, others keep the first or the last. A scanner and a loader can therefore read different values (a second chat template, a second copy of a weight). Both copies were checked; reject the file if you did not expect it.',
  },
  'gguf-malformed-header': {
    severity: 'medium',
    impact: 'suspicious',
    title: 'Header field breaks the GGUF specification',
    help: 'A key is empty or longer than the format allows, a tensor name is longer than llama.cpp accepts, or a well-known key has the wrong type. llama.cpp refuses such a file and other readers may not; check which tool wrote it.',
  },
  'gguf-bad-alignment': {
    severity: 'high',
    impact: 'unsafe',
    title: '`general.alignment` is zero, not a power of two, or not a u32',
    help: 'The alignment is used to compute where tensor data starts. Zero divides by zero, and other odd values overflow the padding arithmetic of readers that do not check it (llama.cpp now refuses them). Reject the file.',
  },
  'gguf-tensor-bad-shape': {
    severity: 'high',
    impact: 'unsafe',
    title: 'Tensor shape is invalid or overflows',
    help: 'A tensor has more than 4 dimensions (written past a fixed 4-entry array: llama.cpp CVE-2024-21802), a negative dimension, a row that is not a whole number of quantisation blocks, or an element or byte count that overflows 64 bits (CVE-2025-53630). Loaders that compute its size wrap around and read or write out of bounds. Reject the file.',
  },
  'gguf-tensor-unknown-type': {
    severity: 'medium',
    impact: 'suspicious',
    title: 'Tensor of unknown or removed ggml type',
    help: 'The tensor type is not one current ggml can load, so its size could not be checked; older readers indexed their type table with it and read out of bounds. Check which tool wrote the file.',
  },
  'gguf-tensor-out-of-bounds': {
    severity: 'high',
    impact: 'unsafe',
    title: 'Tensor data lies outside the file',
    help: 'The tensor offset and size reach past the end of the file. A loader that maps the file and trusts the header reads memory it should not (the class of bug behind out-of-bounds reads in GGUF loaders). Reject the file, or re-download it if it is truncated.',
  },
  'gguf-tensor-overlap': {
    severity: 'high',
    impact: 'unsafe',
    title: 'Tensors share bytes',
    help: 'Two tensors claim the same bytes of the data section. llama.cpp requires tensors to follow each other; overlaps make one weight alias another or hide data. Reject the file.',
  },
  'gguf-tensor-misaligned': {
    severity: 'medium',
    impact: 'suspicious',
    title: 'Tensor offset is not a multiple of the alignment',
    help: 'Each tensor must start at a multiple of `general.alignment`. Readers that assume alignment compute different positions from readers that do not, so they disagree on the weights. Re-export the file.',
  },
  'gguf-tensor-gap': {
    severity: 'low',
    impact: 'suspicious',
    title: 'Bytes between tensors belong to no tensor',
    help: 'The data section has a gap larger than alignment padding. llama.cpp refuses such a layout; the gap can hold a hidden payload. The bytes were not analysed.',
  },
  'gguf-trailing-data': {
    severity: 'low',
    impact: 'suspicious',
    title: 'Data after the last tensor',
    help: 'The file continues past the last tensor and its padding. Appended data is how polyglot files carry a second format; it was scanned as a file of its own. Strip it or re-export the model.',
  },
  'gguf-chat-template-injection': {
    severity: 'critical',
    impact: 'unsafe',
    title: 'Chat template reaches Python internals',
    help: 'The Jinja chat template (`tokenizer.chat_template`) reaches dunder attributes, Python internals or process execution. Loaders that render it outside a sandbox run the attacker’s code when the model is loaded for chat (llama-cpp-python CVE-2024-34359). Do not load this file; ordinary chat templates never need these constructs.',
  },
});

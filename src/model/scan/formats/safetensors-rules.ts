import { defineRules } from '../rule.js';

/**
 * Rules of the safetensors scanner. The checks follow the format's reference reader
 * (huggingface/safetensors `safetensors/src/tensor.rs`: `read_metadata` and `Metadata::validate`), so a file that
 * raises none of them is one that reader accepts, and every finding names a way in which loaders can disagree.
 */
export const SAFETENSORS_RULES = defineRules({
  'safetensors-header-too-large': {
    severity: 'high',
    impact: 'unsafe',
    title: 'Header length beyond the format limit',
    help: 'The 8-byte header length asks the loader to read and parse more than the 100 MB the format allows. The reference reader refuses such a file; a loader without the limit allocates and parses whatever the length says, a denial of service. A real checkpoint never needs it: reject the file.',
  },
  'safetensors-header-out-of-bounds': {
    severity: 'high',
    impact: 'unsafe',
    title: 'Header length points past the end of the file',
    help: 'The header length is larger than the file. Loaders that trust it read past their buffer or fail; the file is either truncated or crafted. Re-download it from the source, or reject it.',
  },
  'safetensors-invalid-header': {
    severity: 'medium',
    impact: 'suspicious',
    title: 'Header is not a valid safetensors JSON header',
    help: 'The header must be UTF-8 JSON text that starts with `{` and holds one object. This one is too short, not UTF-8, not strict JSON, or not an object, so its tensors could not be checked and different JSON parsers may read it differently. Re-export the file with the safetensors library.',
  },
  'safetensors-duplicate-key': {
    severity: 'high',
    impact: 'unsafe',
    title: 'Duplicate key in the header',
    help: 'The format forbids duplicate keys, but JSON parsers disagree on them: some keep the first, some the last, some refuse. A scanner and a loader can therefore see different tensors or offsets in the same file (a smuggling technique). Reject the file.',
  },
  'safetensors-bad-tensor-entry': {
    severity: 'medium',
    impact: 'suspicious',
    title: 'Tensor entry is not {dtype, shape, data_offsets}',
    help: 'Every key other than `__metadata__` must map to an object with a string `dtype`, an array `shape` and a two-number `data_offsets`. The reference reader refuses this file; other readers may guess. Re-export the file.',
  },
  'safetensors-unknown-dtype': {
    severity: 'medium',
    impact: 'suspicious',
    title: 'Tensor has an unknown dtype',
    help: 'The dtype is not one the format defines, so the tensor size could not be checked against its byte range. Check which tool wrote the file.',
  },
  'safetensors-invalid-shape': {
    severity: 'medium',
    impact: 'suspicious',
    title: 'Tensor shape is not a list of non-negative integers',
    help: 'A shape must be an array of non-negative integers. Negative, fractional or exponent-written dimensions are refused by the reference reader and silently converted by others, so loaders disagree on the tensor size.',
  },
  'safetensors-shape-overflow': {
    severity: 'high',
    impact: 'unsafe',
    title: 'Tensor shape overflows a 64-bit size',
    help: 'The product of the dimensions times the element size does not fit in 64 bits. A loader that multiplies without checking wraps around and allocates a small buffer for a huge tensor (heap overflow). Reject the file.',
  },
  'safetensors-offsets-out-of-range': {
    severity: 'high',
    impact: 'unsafe',
    title: 'Tensor byte range is invalid or outside the data buffer',
    help: 'A tensor’s `data_offsets` must be two non-negative integers, begin ≤ end, inside the data buffer. Offsets past the end make a loader read out of bounds; reversed offsets underflow. Reject the file.',
  },
  'safetensors-overlapping-tensors': {
    severity: 'high',
    impact: 'unsafe',
    title: 'Tensors share bytes',
    help: 'Two tensors claim the same bytes of the data buffer. The format requires each byte to belong to exactly one tensor; overlaps are used to make one write alter two tensors or to hide data. Reject the file.',
  },
  'safetensors-size-mismatch': {
    severity: 'high',
    impact: 'unsafe',
    title: 'Tensor byte range does not match its shape and dtype',
    help: 'The number of bytes between the offsets differs from shape × dtype size (or ends inside a byte for sub-byte dtypes). A loader that trusts the shape reads outside the range; one that trusts the range builds a different tensor. Reject the file.',
  },
  'safetensors-data-gap': {
    severity: 'medium',
    impact: 'suspicious',
    title: 'Bytes of the data buffer belong to no tensor',
    help: 'The format requires the tensors to cover the data buffer with no holes, precisely so that a file cannot carry a second, hidden payload (a polyglot). The uncovered bytes were not analysed as weights. Re-export the file, or inspect the bytes.',
  },
  'safetensors-trailing-data': {
    severity: 'medium',
    impact: 'suspicious',
    title: 'Data after the last tensor',
    help: 'The file continues past the end of the last tensor. The reference reader refuses such a file; appended data is how safetensors polyglots carry a second format (a zip or a pickle). The trailing bytes were scanned as a file of their own; re-export the model or strip them.',
  },
  'safetensors-bad-metadata': {
    severity: 'low',
    impact: 'suspicious',
    title: '`__metadata__` is not a string-to-string map',
    help: 'The format allows only string values in `__metadata__`. Nested objects, numbers or arrays are refused by the reference reader and can smuggle structured data to tools that read the metadata. Re-export the file.',
  },
});

import { defineRules } from '../rule.js';

/** Rules of the onnx scanner. */
export const ONNX_RULES = defineRules({
  'onnx-external-data-traversal': {
    severity: 'high',
    impact: 'unsafe',
    title: 'ONNX external data points outside the model folder',
    help:
      'A tensor keeps its bytes in an external file whose `location` is absolute, climbs with `..`, names a drive, ' +
      'uses a backslash or URL scheme, or holds a NUL. Loaders join it to the model folder and read it ' +
      '(CVE-2022-25882, CVE-2024-27318), so the model can read any file the loading user can and leak it through ' +
      'its outputs, and re-saving the model with onnx writes there (CVE-2025-51480). Do not load the model; a ' +
      'legitimate one names a file beside it.',
  },
  'onnx-external-data-range': {
    severity: 'medium',
    impact: 'suspicious',
    title: 'ONNX external data offset or length is invalid',
    help:
      'The `offset` or `length` of an external tensor is not a non-negative decimal integer, or the range overflows. ' +
      'Loaders differ in how they treat such values (seeking backwards, huge reads). No exporter writes them.',
  },
  'onnx-custom-op-domain': {
    severity: 'medium',
    impact: 'suspicious',
    title: 'ONNX node uses a custom operator domain',
    help:
      'The model calls operators outside the ONNX and ONNX Runtime built-in domains and not defined as functions in ' +
      'the model. They run only after the user registers a custom-op library, which is native code the scanner ' +
      'cannot see. Make sure you trust the library that provides the named domain before loading it.',
  },
  'onnx-python-op': {
    severity: 'high',
    impact: 'unsafe',
    title: 'ONNX node calls into Python',
    help:
      "ONNX Runtime's `PyOp` imports the module and class named in the node's attributes and runs it, and the training " +
      "build's `PythonOp` calls a Python function by name. The model can run whatever Python those names reach.",
  },
  'onnx-graph-too-deep': {
    severity: 'medium',
    impact: 'suspicious',
    title: 'ONNX subgraphs nested beyond the scan limit',
    help:
      'If/Loop/Scan bodies are nested deeper than any exporter produces, so the innermost graphs were not analysed. ' +
      'Treat the model as unverified.',
  },
  'onnx-parse-error': {
    severity: 'medium',
    impact: 'suspicious',
    title: 'ONNX file is malformed',
    help:
      'The file starts like an ONNX model but its protobuf encoding is broken at the reported offset, so the rest was ' +
      'not analysed. Parsers that recover differently may see content the scanner did not. Re-export the model.',
  },
});

/**
 * Operator domains whose kernels ship inside ONNX Runtime itself, so using them loads no extra code:
 * the ONNX domains ('' and 'ai.onnx' are the default opset; ai.onnx.ml, ai.onnx.training and
 * ai.onnx.preview.training are defined in onnx/defs), and the ONNX Runtime contrib domains
 * (onnxruntime/core/graph/constants.h: kMSDomain, kMSNchwcDomain, kMSExperimentalDomain, kMSInternalNHWCDomain), which
 * optimised models saved by ONNX Runtime contain. Anything else needs a custom-op library registered by the user.
 */
export const BUILTIN_ONNX_DOMAINS: ReadonlySet<string> = new Set([
  '',
  'ai.onnx',
  'ai.onnx.ml',
  'ai.onnx.training',
  'ai.onnx.preview.training',
  'com.microsoft',
  'com.microsoft.nchwc',
  'com.microsoft.experimental',
  'com.ms.internal.nhwc',
]);

/*
 * Standard ONNX has no operator that touches files, the network or a process: its ops are pure tensor functions
 * (onnx/defs). The risky surfaces are outside the op set: external data paths, custom-op domains (native libraries),
 * and ONNX Runtime's Python bridges below.
 */

/** `PyOp` (ONNX Runtime language-interop ops, docs/PyOp.md): any domain; attributes `module`, `class_name`, `compute`. */
export const PYOP_TYPE = 'PyOp';
/** `PythonOp`/`PythonOpGrad` (ONNX Runtime training, com.microsoft): attribute `func_name` names a Python callable. */
export const PYTHON_OP_TYPES: ReadonlySet<string> = new Set(['PythonOp', 'PythonOpGrad']);

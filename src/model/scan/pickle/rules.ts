import { defineRules } from '../rule.js';

/** Rules of the pickle walker. */
export const PICKLE_RULES = defineRules({
  'pickle-dangerous-global': {
    severity: 'critical',
    impact: 'unsafe',
    title: 'Pickle imports a callable known to run code, touch files or reach the network',
    help: 'Loading this pickle (torch.load, joblib.load, pickle.load, numpy.load with allow_pickle) can run attacker code. Do not load it; get the model from a trusted source or as safetensors.',
  },
  'pickle-dynamic-global': {
    severity: 'high',
    impact: 'unsafe',
    title: 'Pickle imports a global whose name is computed at load time',
    help: 'STACK_GLOBAL took operands that are not constant strings, so the imported callable is chosen while loading. Ordinary serializers never do this; treat the file as hostile.',
  },
  'pickle-unknown-global': {
    severity: 'medium',
    impact: 'suspicious',
    title: 'Pickle imports a global outside the allowlist of known-safe ML globals',
    help: 'Loading runs code of this class or function. If it is your own trusted code, add it to `scan.allow` in the config; otherwise review where the file came from.',
  },
  'pickle-ext-code': {
    severity: 'medium',
    impact: 'suspicious',
    title: 'Pickle uses the copyreg extension registry',
    help: 'EXT1/EXT2/EXT4 name a global through a process-wide registry, so what is imported depends on the loading process. Ordinary model files never use it.',
  },
  'pickle-truncated': {
    severity: 'medium',
    impact: 'suspicious',
    title: 'Pickle stream ends before its STOP opcode',
    help: 'A stream that breaks right after a payload still runs that payload when loaded (the nullifAI technique). Findings before the break are reported; the rest could not be analysed.',
  },
  'pickle-malformed': {
    severity: 'medium',
    impact: 'suspicious',
    title: 'Pickle stream is malformed',
    help: 'An invalid opcode, a stack underflow or a missing memo entry: loaders stop with an error here, but anything before it has already run. Review the file and its source.',
  },
  'pickle-resource-limit': {
    severity: 'medium',
    impact: 'suspicious',
    title: 'Pickle exceeds the walker limits',
    help: 'The symbolic stack, memo or nesting grew beyond the scan limits (a resource-exhaustion pattern), so part of the stream was analysed in a degraded mode.',
  },
  'pickle-memo-limit': {
    severity: 'low',
    impact: 'note',
    title: 'Pickle memoizes more objects than the walker keeps',
    help: 'Memory stays bounded: entries past the limit are not kept. Imports are still checked; a name that needed a dropped entry is reported as incomplete.',
  },
  'pickle-nested': {
    severity: 'low',
    impact: 'note',
    title: 'Pickle carries another pickle as data',
    help: 'A byte string inside the pickle is itself a pickle; it was scanned too and its findings are listed separately.',
  },
  'pickle-trailing-data': {
    severity: 'low',
    impact: 'note',
    title: 'Bytes after the last pickle are not a pickle',
    help: 'Ordinary loaders read one pickle and ignore the rest; the trailing bytes were not analysed.',
  },
  'pickle-protocol-anomaly': {
    severity: 'low',
    impact: 'note',
    title: 'PROTO opcode is misplaced or repeated',
    help: 'Serializers write PROTO once, first. A misplaced one is harmless to the loader but a sign of a hand-made stream.',
  },
});

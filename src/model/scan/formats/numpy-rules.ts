import { defineRules } from '../rule.js';

/** Rules of the NumPy `.npy` reader. */
export const NUMPY_RULES = defineRules({
  'numpy-object-array': {
    severity: 'low',
    impact: 'note',
    title: 'NumPy array of Python objects (its body is a pickle)',
    help: 'numpy.load(allow_pickle=True) unpickles the body; it was walked like any pickle and its imports are reported separately.',
  },
  'numpy-bad-header': {
    severity: 'medium',
    impact: 'suspicious',
    title: 'NumPy header is malformed',
    help: 'The .npy header could not be parsed, or its shape and dtype do not match the file size; numpy would refuse it or read it differently.',
  },
});

import { defineRules } from '../rule.js';

/** Rules of the Keras scanner (`.h5` model_config / training_config, `.keras` config.json) and its HDF5 reader. */
export const KERAS_RULES = defineRules({
  'keras-lambda-bytecode': {
    severity: 'high',
    impact: 'unsafe',
    title: 'Lambda layer holds marshalled Python bytecode',
    help:
      'Keras rebuilds a Lambda function with marshal.loads and runs it when the model is loaded or called: always for ' +
      '.h5 files (Keras 2, and Keras 3 ignores safe_mode there, CVE-2025-9905), and for .keras files whenever ' +
      'safe_mode=False (CVE-2024-3660). Load only if you trust the author; otherwise rebuild the layer in code.',
  },
  'keras-lambda-dangerous-code': {
    severity: 'critical',
    impact: 'unsafe',
    title: 'Lambda bytecode names functions that reach the operating system or load code',
    help:
      'The marshalled function of a Lambda layer refers to names such as os, system, subprocess, exec, eval or ' +
      '__import__. A tensor function has no reason to; treat the model as malicious and do not load it.',
  },
  'keras-lambda-function': {
    severity: 'low',
    impact: 'note',
    title: 'Lambda layer calls a named function',
    help:
      'The Lambda layer refers to a function by name rather than by bytecode; Keras resolves it from registered ' +
      'custom objects or the named module. Check that the function is the one you expect.',
  },
  'keras-unsafe-module': {
    severity: 'critical',
    impact: 'unsafe',
    title: 'Config makes Keras import from a dangerous module',
    help:
      'A config entry names a module such as os, subprocess or builtins. Keras < 3.9 imports any named module and ' +
      'calls what it finds, even with safe_mode=True (CVE-2025-1550). No genuine model needs this; do not load it.',
  },
  'keras-unsafe-function': {
    severity: 'high',
    impact: 'unsafe',
    title: 'Config calls a Keras function that downloads files, loads models or disables safe mode',
    help:
      'Functions such as keras.utils.get_file (CVE-2025-8747) or keras.config.enable_unsafe_deserialization ' +
      '(CVE-2025-9906) live inside Keras, so module allowlists pass them, but called from a config with its ' +
      'arguments they overwrite files or switch off safe_mode. Upgrade Keras and do not load the model.',
  },
  'keras-foreign-module': {
    severity: 'medium',
    impact: 'suspicious',
    title: 'Config refers to an object outside the Keras namespaces',
    help:
      'The object comes from a third-party module or from the script that saved the model (__main__). Keras ≥ 3.9 ' +
      'refuses to import it unless it is registered; older Keras imports the module. Review that module before loading.',
  },
  'keras-tf-op': {
    severity: 'high',
    impact: 'unsafe',
    title: 'TensorFlow op layer reads or writes files or calls Python',
    help:
      'A TFOpLambda or TensorFlowOpLayer wraps a TensorFlow symbol or op that touches the file system or runs a ' +
      'Python callback. It runs when the model is built from its config and when it is called.',
  },
  'keras-torch-module': {
    severity: 'high',
    impact: 'unsafe',
    title: 'TorchModuleWrapper embeds a pickled torch module',
    help:
      'TorchModuleWrapper stores torch.save output in the config and loads it with torch.load(weights_only=False), ' +
      'which runs pickle code. The embedded pickle is scanned as its own member; do not load untrusted models with safe_mode=False.',
  },
  'keras-external-file': {
    severity: 'medium',
    impact: 'suspicious',
    title: 'Layer loads a file from outside the model',
    help:
      'TFSMLayer loads a SavedModel from its filepath, and lookup layers read their vocabulary from a path ' +
      '(CVE-2025-12058): loading reads whatever is at that path on your machine. Check the path.',
  },
  'keras-dotted-name': {
    severity: 'medium',
    impact: 'suspicious',
    title: 'Config names an activation, initializer or class by a dotted import path',
    help:
      'Keras refers to built-in activations, initializers, losses and classes by plain names. A dotted path to a ' +
      'module outside Keras is not something Keras writes; check where the config came from.',
  },
  'keras-invalid-config': {
    severity: 'medium',
    impact: 'suspicious',
    title: 'Keras model config is not valid JSON',
    help:
      'The model_config attribute or config.json could not be parsed, so the model could not be analysed. Keras ' +
      'would fail to load it too, unless a different parser accepts it; treat it as unverified.',
  },
  'hdf5-malformed': {
    severity: 'medium',
    impact: 'suspicious',
    title: 'HDF5 structure is inconsistent',
    help:
      'An HDF5 structure points outside the file, has a bad signature, loops, or is duplicated, so part of the file ' +
      'could not be read. A file written by h5py does not look like this; treat it as unverified.',
  },
});

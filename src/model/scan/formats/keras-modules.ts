/**
 * What a module named in a Keras config means when Keras resolves it.
 *
 * Keras 3 configs name objects by `module` + `class_name` (or `config` for `"class_name": "function"`). Before
 * Keras 3.9, `_retrieve_class_or_fn` fell back to `importlib.import_module(module)` and `vars(mod)[name]` for any
 * module, even with safe_mode=True (CVE-2025-1550); Keras 3.9 limits imports to the packages in `KERAS_ROOTS`,
 * and later releases also reject Keras functions that download files or turn safe mode off (CVE-2025-8747,
 * CVE-2025-9906). Both lists below are policy, kept here so the reasons sit next to the names.
 */
export type ModuleClass = 'keras' | 'dangerous' | 'main' | 'foreign';

/** Packages Keras ≥ 3.9 itself agrees to import from (serialization_lib), plus the tf.keras namespaces of Keras 2. */
const KERAS_ROOTS = new Set(['keras', 'tf_keras', 'keras_hub', 'keras_cv', 'keras_nlp']);
const KERAS_PREFIXES = ['tensorflow.keras', 'tensorflow.python.keras', 'tf.keras'];

/** Modules that run commands, load code, touch files or the network, or reach arbitrary attributes. */
const DANGEROUS_ROOTS = new Set([
  'os', 'posix', 'nt', 'subprocess', 'builtins', '__builtin__', '__builtins__', 'sys', 'importlib', 'imp',
  'runpy', 'pkgutil', 'zipimport', 'code', 'codeop', 'compileall', 'commands', 'pty', 'shutil', 'tempfile',
  'pathlib', 'io', 'fcntl', 'mmap', 'ctypes', 'cffi', 'socket', 'socketserver', 'ssl', 'http', 'httplib',
  'urllib', 'urllib2', 'urllib3', 'requests', 'aiohttp', 'ftplib', 'smtplib', 'telnetlib', 'xmlrpc',
  'webbrowser', 'pickle', '_pickle', 'cPickle', 'marshal', 'shelve', 'dill', 'cloudpickle', 'joblib',
  'multiprocessing', 'threading', '_thread', 'concurrent', 'asyncio', 'signal', 'pdb', 'bdb', 'timeit',
  'cProfile', 'profile', 'trace', 'platform', 'pip', 'setuptools', 'distutils', 'operator', 'functools',
  'types', 'inspect', 'gc', 'posixpath', 'ntpath', 'glob', 'resource', 'select', 'uuid',
]);

/** Python builtins that evaluate code or reach attributes; Keras' own "builtins" functions never use these names. */
export const PYTHON_BUILTINS = new Set([
  'exec', 'eval', 'compile', '__import__', 'open', 'input', 'breakpoint', 'getattr', 'setattr', 'delattr',
  'globals', 'locals', 'vars', 'help', 'exit', 'quit', 'print', 'memoryview', 'type', 'object', 'super',
  'classmethod', 'staticmethod', 'property', 'dir', 'id', 'hash', 'iter', 'next', 'map', 'filter', 'apply',
  'execfile', 'reload', 'file', 'copyright', 'credits', 'license',
]);

/**
 * Functions inside the Keras namespaces that are gadgets when a config calls them with its own arguments:
 * downloads (`get_file`, CVE-2025-8747), model loaders that take `safe_mode=False` or disable it globally
 * (CVE-2025-9906), bytecode loaders, and file readers/writers.
 */
export const KERAS_GADGETS = new Set([
  'get_file', 'load_model', 'load_weights', 'save_model', 'save_weights', 'model_from_json', 'model_from_config',
  'model_from_yaml', 'enable_unsafe_deserialization', 'set_global_attribute', 'deserialize_keras_object',
  'func_load', 'load_img', 'save_img', 'image_dataset_from_directory', 'text_dataset_from_directory',
  'audio_dataset_from_directory', 'get_registered_object', 'register_keras_serializable', 'SafeModeScope',
]);

function root(module: string): string {
  const dot = module.indexOf('.');
  return dot < 0 ? module : module.slice(0, dot);
}

function hasPrefix(module: string, prefix: string): boolean {
  return module === prefix || module.startsWith(`${prefix}.`);
}

export function classifyModule(module: string): ModuleClass {
  const top = root(module);
  if (KERAS_ROOTS.has(top) || KERAS_PREFIXES.some((p) => hasPrefix(module, p))) return 'keras';
  if (top === '__main__') return 'main';
  if (DANGEROUS_ROOTS.has(top)) return 'dangerous';
  return 'foreign';
}

/**
 * TF API symbols (as `TFOpLambda` stores them, relative to `tf.`) that read or write files, run Python, or are
 * Keras gadgets reachable through tf.keras. The op itself runs when the model is called, and during loading when
 * the functional graph is rebuilt with constant arguments from the config.
 */
const TF_SYMBOL_PREFIXES = [
  'io.', 'compat.v1.io.', 'compat.v2.io.', 'gfile.', 'compat.v1.gfile.', 'io.gfile.', 'saved_model.',
  'compat.v1.saved_model.', 'compat.v1.train.', 'train.Checkpoint', 'summary.', 'compat.v1.summary.',
  'data.experimental.', 'debugging.experimental.', 'sysconfig.',
  'load_library', 'load_op_library', 'compat.v1.load_file_system_library',
];
const TF_SYMBOLS = new Set([
  'py_function', 'numpy_function', 'compat.v1.py_func', 'compat.v1.py_function', 'compat.v1.numpy_function',
  'read_file', 'write_file', 'matching_files', 'compat.v1.read_file', 'compat.v1.write_file',
  'compat.v1.matching_files',
]);

export function isDangerousTfSymbol(symbol: string): boolean {
  if (TF_SYMBOLS.has(symbol)) return true;
  const last = symbol.slice(symbol.lastIndexOf('.') + 1);
  if (KERAS_GADGETS.has(last)) return true;
  // tf.keras layers and ops are fine inside a model; only Keras gadgets above are not.
  if (symbol.startsWith('keras.') || symbol.startsWith('compat.v1.keras.')) return false;
  return TF_SYMBOL_PREFIXES.some((p) => symbol.startsWith(p));
}

/** Graph ops (`TensorFlowOpLayer` node_def.op) that touch the file system or call back into Python. */
const TF_OPS = new Set([
  'ReadFile', 'WriteFile', 'MatchingFiles', 'Save', 'SaveV2', 'SaveSlices', 'Restore', 'RestoreV2',
  'RestoreSlice', 'MergeV2Checkpoints', 'PyFunc', 'PyFuncStateless', 'EagerPyFunc', 'ImmutableConst',
  'CreateSummaryFileWriter', 'CreateSummaryDbWriter', 'WriteSummary', 'DatasetToTFRecord',
  'ExperimentalDatasetToTFRecord', 'SaveDataset', 'SaveDatasetV2', 'LoadDataset', 'TFRecordDataset',
  'TFRecordDatasetV2', 'TextLineDataset', 'FixedLengthRecordDataset', 'FixedLengthRecordDatasetV2',
  'WholeFileReader', 'WholeFileReaderV2', 'TFRecordReader', 'TFRecordReaderV2', 'LoadAndRemapMatrix',
]);

export function isDangerousTfOp(op: string): boolean {
  return TF_OPS.has(op);
}

/** Names inside Lambda bytecode that reach the OS, load code or escape the sandbox of a plain tensor function. */
export const DANGEROUS_CODE_NAMES = new Set([
  'os', 'posix', 'nt', 'subprocess', 'system', 'popen', 'Popen', 'spawnl', 'spawnv', 'spawnve', 'spawnvp',
  'execl', 'execle', 'execlp', 'execv', 'execve', 'execvp', 'fork', 'forkpty', 'check_output', 'check_call',
  'getoutput', 'getstatusoutput', 'exec', 'eval', 'compile', '__import__', 'import_module', 'builtins',
  '__builtins__', '__builtin__', 'globals', 'setattr', 'delattr', 'open', 'socket', 'pty', 'shutil', 'rmtree',
  'unlink', 'chmod', 'kill', 'ctypes', 'marshal', 'pickle', 'dill', 'webbrowser', 'runpy', 'urllib',
  'urlopen', 'urlretrieve', 'requests', 'b64decode', 'get_file', 'load_model',
]);

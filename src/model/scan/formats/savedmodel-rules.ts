import { defineRules } from '../rule.js';

/** Rules of the savedmodel scanner. */
export const SAVEDMODEL_RULES = defineRules({
  'savedmodel-python-op': {
    severity: 'high',
    impact: 'unsafe',
    title: 'TensorFlow graph calls back into Python',
    help:
      'PyFunc, PyFuncStateless and EagerPyFunc run a Python callable of the loading process when the graph runs. ' +
      'The callable is not in the file, so the model depends on, and can reach, code outside it. Ordinary exported ' +
      'models never contain these ops.',
  },
  'savedmodel-file-read-op': {
    severity: 'high',
    impact: 'unsafe',
    title: 'TensorFlow graph reads local files',
    help:
      'The graph contains an op that reads or lists files (ReadFile, readers, file datasets, ImmutableConst …). Run ' +
      'on your machine, the model can read any file you can and return its contents through its outputs. ' +
      'Inference models have no reason to do this; do not load it.',
  },
  'savedmodel-file-write-op': {
    severity: 'high',
    impact: 'unsafe',
    title: 'TensorFlow graph writes local files',
    help:
      'The graph contains an op that creates or writes files (WriteFile, summary writers, PrintV2 or debug ops ' +
      'aimed at a file, dataset writers). Running the model can plant or overwrite files. Do not load it.',
  },
  'savedmodel-network-op': {
    severity: 'high',
    impact: 'unsafe',
    title: 'TensorFlow graph reaches the network',
    help:
      'The graph contains an op that connects to a remote address (RPC ops, tf.data service, debug ops streaming ' +
      'to gRPC). Running the model can send your data out or fetch content from elsewhere. Do not load it.',
  },
  'savedmodel-checkpoint-op': {
    severity: 'medium',
    impact: 'suspicious',
    title: 'Checkpoint save/restore op outside the saver',
    help:
      "Every SavedModel saves and restores its variables with SaveV2/RestoreV2 inside the saver named by saver_def. " +
      'This one also reads or writes checkpoint files from other parts of the graph (or writes from the restore ' +
      'path), which can create, read or delete files at paths the file chooses. Review the graph before loading.',
  },
  'savedmodel-keras-lambda': {
    severity: 'high',
    impact: 'unsafe',
    title: 'Keras Lambda layer in SavedModel metadata',
    help:
      'Keras stores a Lambda layer as marshalled Python bytecode (or a function name) in its metadata, and ' +
      'keras.models.load_model rebuilds and runs it: arbitrary code runs on load. Load with tf.saved_model.load ' +
      'only, or rebuild the model from trusted code.',
  },
  'savedmodel-parse-error': {
    severity: 'medium',
    impact: 'suspicious',
    title: 'SavedModel protobuf is malformed',
    help:
      'The file starts like a SavedModel but its protobuf encoding is broken at the reported offset, so the rest was ' +
      'not analysed. Re-export the model.',
  },
});

export type OpRisk = 'python' | 'file-read' | 'file-write' | 'network' | 'checkpoint-read' | 'checkpoint-write';

/** The rule each kind of risky op is reported under. */
export const RISK_RULE: Readonly<Record<OpRisk, string>> = {
  python: 'savedmodel-python-op',
  'file-read': 'savedmodel-file-read-op',
  'file-write': 'savedmodel-file-write-op',
  network: 'savedmodel-network-op',
  'checkpoint-read': 'savedmodel-checkpoint-op',
  'checkpoint-write': 'savedmodel-checkpoint-op',
};

const table = (risk: OpRisk, ops: string[]): [string, OpRisk][] => ops.map((op) => [op, risk]);

/**
 * Ops flagged by name (op names from tensorflow/core/ops/*.cc). modelscan flags ReadFile and WriteFile only; the
 * research notes (model-scanners.md) add PyFunc/EagerPyFunc. The rest are every core op whose kernel opens a path or
 * an address taken from the graph. Not listed, on purpose: ReadVariableOp and other variable/resource ops (memory
 * only); summary Write* ops (they write through a writer created by an op listed here); TPU and collective ops
 * (they talk to the cluster the runtime was configured with, not to an address in the file); custom ops (the
 * library defining them must be loaded by the user first; the file cannot load one).
 */
export const RISKY_OPS: ReadonlyMap<string, OpRisk> = new Map([
  ...table('python', ['PyFunc', 'PyFuncStateless', 'EagerPyFunc']),
  ...table('file-read', [
    'ReadFile',
    'MatchingFiles', // globs directories: lists file names into the graph
    'MatchingFilesDataset',
    'ExperimentalMatchingFilesDataset',
    'ImmutableConst', // memory-maps the file named by attr memory_region_name
    'WholeFileReader',
    'WholeFileReaderV2',
    'TextLineReader',
    'TextLineReaderV2',
    'FixedLengthRecordReader',
    'FixedLengthRecordReaderV2',
    'TFRecordReader',
    'TFRecordReaderV2',
    'LMDBReader',
    'TextLineDataset',
    'TFRecordDataset',
    'TFRecordDatasetV2',
    'FixedLengthRecordDataset',
    'FixedLengthRecordDatasetV2',
    'LMDBDataset',
    'ExperimentalLMDBDataset',
    'CSVDataset',
    'CSVDatasetV2',
    'ExperimentalCSVDataset',
    'SqlDataset', // opens a SQLite file and runs a query from the graph
    'ExperimentalSqlDataset',
    'LoadDataset',
    'SnapshotDatasetReader',
    'LoadAndRemapMatrix', // reads a checkpoint file named by an input
    'InitializeTableFromTextFile', // vocabulary files: allowed when the model declares assets (see scanner)
    'InitializeTableFromTextFileV2',
  ]),
  ...table('file-write', [
    'WriteFile',
    'CreateSummaryFileWriter',
    'CreateSummaryDbWriter',
    'DatasetToTFRecord',
    'ExperimentalDatasetToTFRecord',
    'SaveDataset',
    'SaveDatasetV2',
    'SnapshotDataset',
    'SnapshotDatasetV2',
  ]),
  ...table('network', [
    'Rpc', // tf.contrib.rpc (TF 1.x): calls a gRPC method at an address input
    'TryRpc',
    'RpcClient', // tf.distribute.experimental.rpc (TF 2.8+)
    'RpcCall',
    'RpcServer',
    'RpcServerStart',
    'RpcServerRegister',
    'DataServiceDataset', // tf.data service: fetches elements from a dispatcher address
    'DataServiceDatasetV2',
    'DataServiceDatasetV3',
    'DataServiceDatasetV4',
    'RegisterDataset',
    'RegisterDatasetV2',
  ]),
  ...table('checkpoint-write', ['Save', 'SaveSlices', 'SaveV2', 'MergeV2Checkpoints']),
  ...table('checkpoint-read', ['Restore', 'RestoreSlice', 'RestoreV2']),
]);

/** Ops whose danger depends on a string attr: they are flagged only when it points at a file or a remote address. */
export const URL_ATTRS: ReadonlyMap<string, readonly string[]> = new Map([
  ['PrintV2', ['output_stream']], // "file://path" appends to a file; stdout/stderr/log targets are harmless
  ['DebugIdentity', ['debug_urls']], // "file://dir" dumps tensors, "grpc://host:port" streams them
  ['DebugIdentityV2', ['debug_urls']],
  ['DebugNanCount', ['debug_urls']],
  ['DebugNumericSummary', ['debug_urls']],
  ['Copy', ['debug_ops_spec']], // "DebugIdentity;grpc://host:port;0"
  ['CopyHost', ['debug_ops_spec']],
  ['DecodeProtoV2', ['descriptor_source']], // a path to a FileDescriptorSet unless "local://" or "bytes://…"
  ['EncodeProto', ['descriptor_source']],
]);

/** Every attr name whose string value the scanner reads (all others are skipped unread). */
export const WATCHED_ATTRS: ReadonlySet<string> = new Set([...URL_ATTRS.values()].flat());

/** Classifies a watched string attr value: a file path, a remote address, or harmless. */
export function classifyTarget(op: string, value: string): 'file-read' | 'file-write' | 'network' | undefined {
  const v = value.trim().toLowerCase();
  if (op === 'DecodeProtoV2' || op === 'EncodeProto') {
    return v === '' || v === 'local://' || v.startsWith('bytes://') ? undefined : 'file-read';
  }
  if (v.includes('grpc://') || v.includes('http://') || v.includes('https://')) return 'network';
  if (v.includes('file://')) return 'file-write';
  return undefined;
}

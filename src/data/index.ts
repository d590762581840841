/** The data layer: dataset manifests (content digests, sizes, row counts) on the shared hashing engine. */
export { DataError, type DataErrorCode } from './errors.js';
export { formatManifest, MANIFEST_FORMAT, parseManifest, snapshotDataset, verifyDataset, type DatasetManifest, type DataVerifyReport, type ManifestEntry, type Snapshot, type SnapshotOptions } from './manifest.js';
export { countRows, rowFormatOf, type RowFormat } from './rows.js';
export { parquetRows, MAX_FOOTER_BYTES } from './parquet.js';
export { DATA_CHECKED, readCheckedEvent } from './check/index.js';

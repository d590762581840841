/** `data check`: schema, drift and poisoning checks of a new batch of training data against a trusted reference. */
export { checkTables, reportJson, verdictOf, type CheckOptions, type CheckReport, type Verdict } from './check.js';
export { readTable, type ReadOptions, type Table } from './read-table.js';
export { renderHtml } from './html.js';
export { ALARM, type FlaggedRow } from './evidence.js';
export type { ColumnDrift, Severity } from './drift.js';
export type { SchemaChange, SchemaChangeKind } from './schema.js';
export type { Trigger } from './triggers.js';
export { checkedEventData, DATA_CHECKED, readCheckedEvent, type CheckedDataset, type CheckedEventData } from './event.js';

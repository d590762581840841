/**
 * The control plane: registry, access, incident, key and audit actions as operations that the CLI runs on a local
 * home and `palisade serve` serves over HTTP under `/control/v1`, with the same validation, decisions and records.
 */
export { ControlError, RemoteError, type ControlErrorCode } from './errors.js';
export { CONTROL_PREFIX, defineOperation, parseInput, runOperation, type Operation, type OperationContext } from './operation.js';
export { allOperations, OPERATIONS } from './operations.js';
export type { DatasetListRow, ModelListRow, VersionView } from './ops-registry.js';
export { controlPlane, type ControlPlaneOptions } from './http.js';
export { callServer, parseServer, requestFor, type Server } from './client.js';

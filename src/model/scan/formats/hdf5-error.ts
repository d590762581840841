/**
 * Why the HDF5 reader stopped following a structure:
 * - `malformed`: the bytes contradict the format (an offset past the end, a bad signature, a cycle);
 * - `unsupported`: valid HDF5 that this minimal reader does not decode (shared messages, filtered heaps …);
 * - `limit`: a bound on work or memory was reached.
 */
export type Hdf5IssueKind = 'malformed' | 'unsupported' | 'limit';

/** Thrown inside the HDF5 reader; the scanner turns it into a finding, never into a crash. */
export class Hdf5Error extends Error {
  constructor(
    readonly kind: Hdf5IssueKind,
    message: string,
    /** Absolute file offset of the structure, where known. */
    readonly offset?: number,
  ) {
    super(message);
    this.name = 'Hdf5Error';
  }
}

/** One structure the reader could not follow; reported as a finding, the rest of the file is still read. */
export interface Hdf5Issue {
  kind: Hdf5IssueKind;
  message: string;
  offset?: number;
}

export function toIssue(err: unknown): Hdf5Issue {
  if (err instanceof Hdf5Error) {
    const issue: Hdf5Issue = { kind: err.kind, message: err.message };
    if (err.offset !== undefined) issue.offset = err.offset;
    return issue;
  }
  // Anything else is a bug in the reader; it propagates so the caller records an `error` verdict.
  throw err;
}

import { comparePaths, type Span } from './order.js';
import type { Resource } from './serialize.js';

/** What differs between a signed (or snapshotted) manifest and the files on disk, by file path. */
export interface ManifestDiff {
  /** In both, with a different digest (or, for shards, a different set of ranges). */
  modified: string[];
  /** On disk, not in the manifest. */
  added: string[];
  /** In the manifest, not on disk. */
  removed: string[];
}

/**
 * Splits a resource name into path and range. Shard names are `path:start:end`, split at the last two colons (a
 * path may hold colons); a files-method name is the path itself.
 */
export function spanOf(name: string, sharded: boolean): Span | undefined {
  if (!sharded) return { path: name };
  const m = /^(.+):(0|[1-9][0-9]{0,15}):(0|[1-9][0-9]{0,15})$/s.exec(name);
  if (m === null) return undefined;
  const start = Number(m[2]);
  const end = Number(m[3]);
  return Number.isSafeInteger(end) && start < end ? { path: m[1]!, start, end } : undefined;
}

/**
 * Compares two manifests file by file. `alias` maps a name in `expected` to its local form (a single-file model is
 * named `.` by the reference and by its basename by the spec; both mean the one file).
 */
export function diffResources(expected: readonly Resource[], actual: readonly Resource[], sharded: boolean, alias: (path: string) => string = (p) => p): ManifestDiff {
  const group = (rs: readonly Resource[], map: (p: string) => string): Map<string, string[]> => {
    const m = new Map<string, string[]>();
    for (const r of rs) {
      const span = spanOf(r.name, sharded);
      const path = map(span?.path ?? r.name);
      const list = m.get(path) ?? [];
      list.push(`${span?.start ?? ''}:${span?.end ?? ''}=${r.digest.toLowerCase()}`);
      m.set(path, list);
    }
    return m;
  };
  const want = group(expected, alias);
  const have = group(actual, (p) => p);
  const diff: ManifestDiff = { modified: [], added: [], removed: [] };
  for (const [path, parts] of want) {
    const got = have.get(path);
    if (got === undefined) diff.removed.push(path);
    else if (got.sort().join('\n') !== parts.sort().join('\n')) diff.modified.push(path);
  }
  for (const path of have.keys()) if (!want.has(path)) diff.added.push(path);
  for (const list of [diff.modified, diff.added, diff.removed]) list.sort(comparePaths);
  return diff;
}

export const isClean = (d: ManifestDiff): boolean => d.modified.length + d.added.length + d.removed.length === 0;

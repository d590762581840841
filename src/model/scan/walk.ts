import { lstat, readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';

export interface WalkEntry {
  /** Absolute or as-given path to open. */
  path: string;
  /** Path shown in reports: relative to the scanned root's parent for folders, as given for files. */
  display: string;
  size: number;
}

export interface WalkProblem {
  path: string;
  message: string;
}

/** Folders that hold version-control or tool metadata, not model files. */
const SKIP_DIRS = new Set(['.git', '.hg', '.svn']);

/**
 * Lists the regular files under each target, depth first, in a stable (sorted) order. A link to a file is scanned
 * as the file a loader would open (Hugging Face caches link snapshots to blobs); links to folders are listed in
 * `links` and never followed, so link loops cannot make the walk endless.
 */
export async function listFiles(targets: readonly string[]): Promise<{ files: WalkEntry[]; problems: WalkProblem[]; links: WalkProblem[] }> {
  const files: WalkEntry[] = [];
  const problems: WalkProblem[] = [];
  const links: WalkProblem[] = [];
  for (const target of targets) {
    let st;
    try {
      st = await lstat(target);
    } catch (err) {
      problems.push({ path: target, message: `cannot read: ${(err as Error).message}` });
      continue;
    }
    if (st.isSymbolicLink()) {
      await followFileLink(target, target, files, links);
      continue;
    }
    if (st.isFile()) {
      files.push({ path: target, display: target, size: st.size });
      continue;
    }
    if (!st.isDirectory()) {
      problems.push({ path: target, message: 'is not a regular file or folder' });
      continue;
    }
    const stack = [target];
    while (stack.length > 0) {
      const dir = stack.pop()!;
      let names: string[];
      try {
        names = (await readdir(dir)).sort();
      } catch (err) {
        problems.push({ path: dir, message: `cannot list: ${(err as Error).message}` });
        continue;
      }
      const subdirs: string[] = [];
      for (const name of names) {
        const p = join(dir, name);
        let s;
        try {
          s = await lstat(p);
        } catch (err) {
          problems.push({ path: p, message: `cannot read: ${(err as Error).message}` });
          continue;
        }
        const display = join(target, relative(target, p));
        if (s.isSymbolicLink()) await followFileLink(p, display, files, links);
        else if (s.isDirectory()) {
          if (!SKIP_DIRS.has(name)) subdirs.push(p);
        } else if (s.isFile()) files.push({ path: p, display, size: s.size });
      }
      stack.push(...subdirs.reverse());
    }
  }
  return { files, problems, links };
}

/** A link to a file joins the list; a link to a folder or to nothing is recorded as skipped. */
async function followFileLink(path: string, display: string, files: WalkEntry[], links: WalkProblem[]): Promise<void> {
  const t = await stat(path).catch(() => undefined);
  if (t?.isFile() === true) files.push({ path, display, size: t.size });
  else links.push({ path: display, message: t === undefined ? 'is a dangling symbolic link' : 'is a symbolic link to a folder; not followed' });
}

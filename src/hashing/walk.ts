import type { Dirent, Stats } from 'node:fs';
import { lstat, readdir, stat } from 'node:fs/promises';
import { basename, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { HashingError } from './errors.js';
import { comparePaths } from './order.js';

/** Paths every model ignores at its top level (OMS spec §6.1, as the reference implementation applies them). */
export const DEFAULT_IGNORES: readonly string[] = ['.git', '.gitattributes', '.github', '.gitignore'];

export interface ListOptions {
  /** Hash what a symbolic link to a file points at, under the link's name (default false: a link is an error). */
  allowSymlinks?: boolean;
  /** Relative paths (POSIX or native separators) to leave out; a folder leaves out everything under it. */
  ignorePaths?: readonly string[];
  /** Leave out `.git`, `.gitattributes`, `.github` and `.gitignore` at the top level (default true). */
  ignoreGit?: boolean;
  /** Absolute paths to leave out when they lie inside the model (the signature file); recorded like ignores. */
  exclude?: readonly string[];
}

export interface ListedFile {
  /** Canonical name: the relative POSIX path, or `.` when the model is a single file (as the reference writes it). */
  name: string;
  /** Absolute path to read. */
  path: string;
  size: number;
}

export interface Listing {
  /** The model's absolute path. */
  root: string;
  /** True when the model is one file rather than a folder. */
  single: boolean;
  /** Regular files in canonical order (path components, code points). */
  files: ListedFile[];
  /** Every ignore path that applied, relative and canonical, sorted: what a signature records. */
  ignorePaths: string[];
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Canonical relative form of an ignore path (OMS §6.1.2): `/` separators, no `.` or empty parts, no trailing `/`.
 * An absolute path inside `root` is made relative; one outside it, or one with `..`, is refused.
 */
export function canonicalIgnore(root: string, p: string): string {
  let rel = p;
  if (isAbsolute(p)) {
    rel = relative(root, p);
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) throw new HashingError('HASHING_IGNORE_INVALID', `ignore path ${p} is not inside the model ${root}: give a path relative to the model`);
  }
  const parts = rel.split(sep).join('/').split('/').filter((x) => x !== '' && x !== '.');
  if (parts.length === 0 || parts.includes('..')) throw new HashingError('HASHING_IGNORE_INVALID', `ignore path '${p}' must name something inside the model, relative to it, without '..'`);
  return parts.join('/');
}

const ignored = (rel: string, ignores: readonly string[]): boolean => ignores.some((i) => rel === i || rel.startsWith(i + '/'));

/**
 * Lists a model the way OMS serializes it: regular files only (no folder entries), recursively, ignores applied
 * before anything else is checked, symbolic links refused unless allowed (and links to folders always, since
 * following them can loop), and special files (sockets, pipes, devices) and names that are not valid UTF-8 refused.
 */
export async function listModel(target: string, options: ListOptions = {}): Promise<Listing> {
  const root = resolve(target);
  const allowSymlinks = options.allowSymlinks === true;
  let top: Stats;
  try {
    top = await lstat(root);
  } catch (err) {
    throw new HashingError('HASHING_PATH_NOT_FOUND', `cannot read ${root}: ${(err as Error).message}`, { cause: err });
  }
  if (top.isSymbolicLink()) {
    if (!allowSymlinks) throw new HashingError('HASHING_SYMLINK_REFUSED', `${root} is a symbolic link: pass the real path, or allow symbolic links`);
    top = await statOrThrow(root);
  }
  if (top.isFile()) return { root, single: true, files: [{ name: '.', path: root, size: top.size }], ignorePaths: [] };
  if (!top.isDirectory()) throw new HashingError('HASHING_FILE_UNSUPPORTED', `${root} is neither a regular file nor a folder`);

  const ignores = new Set<string>(options.ignoreGit === false ? [] : DEFAULT_IGNORES);
  for (const p of options.ignorePaths ?? []) ignores.add(canonicalIgnore(root, p));
  for (const p of options.exclude ?? []) {
    const rel = relative(root, resolve(p));
    if (rel !== '' && !rel.startsWith('..') && !isAbsolute(rel)) ignores.add(rel.split(sep).join('/'));
  }
  const ignoreList = [...ignores].sort(comparePaths);
  const files: ListedFile[] = [];

  const walk = async (dir: string, prefix: string): Promise<void> => {
    let entries: Dirent<Buffer>[];
    try {
      entries = await readdir(dir, { withFileTypes: true, encoding: 'buffer' });
    } catch (err) {
      throw new HashingError('HASHING_READ_FAILED', `cannot list ${dir}: ${(err as Error).message}`, { cause: err });
    }
    const pending: Promise<void>[] = [];
    let refused: unknown;
    try {
      for (const e of entries) visit(e, dir, prefix, pending);
    } catch (err) {
      refused = err;
    }
    // Settle what was started before a refusal, so no rejection is left unobserved.
    const failed = (await Promise.allSettled(pending)).find((r) => r.status === 'rejected');
    if (refused !== undefined) throw refused;
    if (failed !== undefined) throw failed.reason;
  };
  const visit = (e: Dirent<Buffer>, dir: string, prefix: string, pending: Promise<void>[]): void => {
    let name: string;
    try {
      name = utf8.decode(e.name);
    } catch {
      throw new HashingError('HASHING_NAME_INVALID', `a name in ${dir} is not valid UTF-8 (bytes ${e.name.toString('hex')}): OMS names must be UTF-8; rename it`);
    }
    const rel = prefix === '' ? name : `${prefix}/${name}`;
    if (ignored(rel, ignoreList)) return;
    const path = join(dir, name);
    if (e.isDirectory()) pending.push(walk(path, rel));
    else if (e.isFile()) pending.push(statOrThrow(path).then((s) => void files.push({ name: rel, path, size: s.size })));
    else if (e.isSymbolicLink()) {
      if (!allowSymlinks) throw new HashingError('HASHING_SYMLINK_REFUSED', `${rel} is a symbolic link: remove it, ignore it, or allow symbolic links (the target is then hashed under the link's name)`);
      pending.push(
        statOrThrow(path).then((s) => {
          if (s.isDirectory()) throw new HashingError('HASHING_SYMLINK_REFUSED', `${rel} is a symbolic link to a folder: links to folders are never followed (they can loop); copy the folder in or ignore the link`);
          if (!s.isFile()) throw new HashingError('HASHING_FILE_UNSUPPORTED', `${rel} links to something that is not a regular file`);
          files.push({ name: rel, path, size: s.size });
        }),
      );
    } else throw new HashingError('HASHING_FILE_UNSUPPORTED', `${rel} is not a regular file or folder (a socket, pipe or device): remove it or ignore it`);
  };
  await walk(root, '');
  files.sort((a, b) => comparePaths(a.name, b.name));
  return { root, single: false, files, ignorePaths: ignoreList };
}

async function statOrThrow(path: string): Promise<Stats> {
  try {
    return await stat(path);
  } catch (err) {
    throw new HashingError('HASHING_READ_FAILED', `${path} is a broken link or cannot be read: ${(err as Error).message}`, { cause: err });
  }
}

/** The name a model goes by in a statement's subject: the folder's or file's own name. Informational only. */
export const modelName = (root: string): string => basename(resolve(root)) || 'model';

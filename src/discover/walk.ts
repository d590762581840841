import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ignore, { type Ignore } from 'ignore';

/** A file the walk yields: its absolute path and its path relative to the root with `/` separators. */
export interface WalkedFile {
  abs: string;
  rel: string;
  name: string;
}

interface Scope {
  /** The folder the .gitignore sits in, relative to the root ('' for the root), with a trailing '/'. */
  base: string;
  rules: Ignore;
}

/**
 * Folders never entered: version-control metadata, and installed dependency trees (the manifests that declare them
 * are read instead, so a dependency is reported once, where the repository chose it).
 */
const ALWAYS_SKIPPED = new Set(['.git', '.hg', '.svn', 'node_modules']);

/**
 * Every regular file under `root`, depth first, honouring `.gitignore` files at every level the way git does
 * (patterns relative to their own folder; an ignored folder is not entered, so nothing below it comes back).
 * Symbolic links are not followed: they can loop or leave the tree. A generator, so memory stays flat.
 */
export function* walkFiles(root: string): Generator<WalkedFile> {
  yield* visit(root, '', []);
}

function* visit(abs: string, rel: string, scopes: readonly Scope[]): Generator<WalkedFile> {
  let entries;
  try {
    entries = readdirSync(abs, { withFileTypes: true });
  } catch {
    return; // A folder that vanished or cannot be listed is skipped, as git would.
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  let here = scopes;
  if (entries.some((e) => e.name === '.gitignore' && e.isFile())) {
    try {
      here = [...scopes, { base: rel, rules: ignore().add(readFileSync(join(abs, '.gitignore'), 'utf8')) }];
    } catch {
      // An unreadable .gitignore ignores nothing.
    }
  }
  for (const e of entries) {
    const isDir = e.isDirectory();
    if (!isDir && !e.isFile()) continue;
    if (isDir && ALWAYS_SKIPPED.has(e.name)) continue;
    const path = rel + e.name;
    if (here.some((s) => s.rules.ignores(path.slice(s.base.length) + (isDir ? '/' : '')))) continue;
    if (isDir) yield* visit(join(abs, e.name), path + '/', here);
    else yield { abs: join(abs, e.name), rel: path, name: e.name };
  }
}

/**
 * Why an archive member name would escape the folder it is extracted into, or undefined when it stays inside.
 * Covers `..` segments, absolute POSIX and Windows paths, drive letters, UNC paths and backslash separators
 * (Windows extractors treat `\` as a separator, so `..\\x` escapes there).
 */
export function escapingPath(name: string): string | undefined {
  if (name.includes('\0')) return 'contains a NUL byte';
  if (name.startsWith('/')) return 'is an absolute path';
  if (/^[A-Za-z]:/.test(name)) return 'starts with a drive letter';
  if (name.startsWith('\\\\') || name.startsWith('//')) return 'is a UNC path';
  if (name.startsWith('\\')) return 'is an absolute Windows path';
  const parts = name.split(/[\\/]/);
  let depth = 0;
  for (const part of parts) {
    if (part === '..') depth--;
    else if (part !== '' && part !== '.') depth++;
    if (depth < 0) return "climbs out of the extraction folder with '..'";
  }
  return undefined;
}

/** True for a Unix symlink in a zip's external attributes (made-by host 3 = Unix, mode in the high 16 bits). */
export function isZipSymlink(madeBy: number, externalAttrs: number): boolean {
  return madeBy === 3 && ((externalAttrs >>> 16) & 0o170000) === 0o120000;
}

/**
 * Path checks for 7z member names and symlink targets. 7-Zip writes `/` or (on Windows) `\` between components,
 * and Windows extractors treat both as separators, so both split components here. Windows also strips trailing
 * dots and spaces from a component, so `... ` and `.. ` act as `..` there.
 */
const isParent = (part: string): boolean => /^\.\.[. ]*$/.test(part);

/** Why extracting `name` would write outside the destination folder, or undefined when it stays inside. */
export function unsafePathReason(name: string): string | undefined {
  if (name.includes('\0')) return 'contains a NUL character';
  if (/^[\\/]{2}/.test(name)) return 'is a UNC or network path';
  if (/^[\\/]/.test(name)) return 'is an absolute path';
  if (/^[A-Za-z]:/.test(name)) return 'starts with a drive letter';
  let depth = 0;
  for (const part of name.split(/[\\/]/)) {
    if (isParent(part)) {
      if (--depth < 0) return "climbs out of the extraction folder with '..'";
    } else if (part !== '' && part !== '.') {
      depth++;
    }
  }
  return undefined;
}

/**
 * Whether a symlink named `linkName` pointing at `target` resolves outside the extraction folder: an absolute
 * target, a drive letter, or more `..` steps than the link's own folder depth.
 */
export function symlinkEscapes(linkName: string, target: string): boolean {
  if (target.length === 0) return false;
  if (/^[\\/]/.test(target) || /^[A-Za-z]:/.test(target) || target.includes('\0')) return true;
  const dir = linkName.split(/[\\/]/).filter((p) => p !== '' && p !== '.');
  dir.pop();
  let depth = dir.length;
  for (const part of target.split(/[\\/]/)) {
    if (isParent(part)) {
      if (--depth < 0) return true;
    } else if (part !== '' && part !== '.') {
      depth++;
    }
  }
  return false;
}

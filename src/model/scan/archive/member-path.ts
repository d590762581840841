/**
 * Path checks for archive member names and link targets, shared by the zip, tar and 7z readers. Windows
 * extractors treat `\` as a separator and strip trailing dots and spaces from a component, so `..\\x`, `... ` and
 * `.. ` climb out there too.
 */
const isParent = (part: string): boolean => /^\.\.[. ]*$/.test(part);

/** Why extracting `name` would write outside the destination folder, or undefined when it stays inside. */
export function escapingPath(name: string): string | undefined {
  if (name.includes('\0')) return 'contains a NUL character';
  if (/^[\\/]{2}/.test(name)) return 'is a UNC or network path';
  if (/^[\\/]/.test(name)) return 'is an absolute path';
  if (/^[A-Za-z]:/.test(name)) return 'starts with a drive letter';
  return climbs(name.split(/[\\/]/), 0) ? "climbs out of the extraction folder with '..'" : undefined;
}

/**
 * Why a link named `linkName` pointing at `target` resolves outside the extraction folder (an absolute target,
 * a drive letter, or more `..` steps than the link's own folder depth), or undefined when it stays inside.
 */
export function linkEscape(linkName: string, target: string): string | undefined {
  if (target.length === 0) return undefined;
  if (/^[\\/]/.test(target) || /^[A-Za-z]:/.test(target)) return 'is an absolute path';
  if (target.includes('\0')) return 'contains a NUL character';
  const dir = linkName.split(/[\\/]/).filter((p) => p !== '' && p !== '.');
  dir.pop();
  return climbs(target.split(/[\\/]/), dir.length) ? "climbs out of the extraction folder with '..'" : undefined;
}

function climbs(parts: string[], depth: number): boolean {
  for (const part of parts) {
    if (isParent(part)) {
      if (--depth < 0) return true;
    } else if (part !== '' && part !== '.') depth++;
  }
  return false;
}

/** True for a Unix symlink in a zip's external attributes (made-by host 3 = Unix, mode in the high 16 bits). */
export function isZipSymlink(madeBy: number, externalAttrs: number): boolean {
  return madeBy === 3 && ((externalAttrs >>> 16) & 0o170000) === 0o120000;
}

import { defineRules } from '../rule.js';

/** Rules of the container readers: zip, tar and single-stream compression. */
export const ARCHIVE_RULES = defineRules({
  'archive-path-traversal': {
    severity: 'high',
    impact: 'unsafe',
    title: 'Archive member name escapes the extraction folder',
    help: "A member named with '..', an absolute path or a drive letter writes outside the folder it is unpacked into (zip-slip). Never extract this archive.",
  },
  'archive-symlink': {
    severity: 'medium',
    impact: 'suspicious',
    title: 'Archive contains a symbolic link',
    help: 'Extracting a link lets later members write through it, or makes a loader read a file outside the model. Model archives have no reason to carry links.',
  },
  'archive-bomb': {
    severity: 'high',
    impact: 'unsafe',
    title: 'Archive expands far beyond its size (decompression bomb)',
    help: 'A member declares or produces far more bytes than it occupies, or the file spent the decompression budget. Loading or unpacking it exhausts memory or disk.',
  },
  'archive-member-too-large': {
    severity: 'medium',
    impact: 'suspicious',
    title: 'Compressed member too large to analyse in memory',
    help: 'The member is compressed and larger than the in-memory limit, and it is not a pickle that can be streamed; it was not analysed. Raise scan limits or unpack and scan it.',
  },
  'archive-encrypted': {
    severity: 'medium',
    impact: 'suspicious',
    title: 'Archive member or header is encrypted',
    help: 'Encrypted members (or a 7z header, which also hides the names) cannot be analysed; review before anyone unpacks them. When a zip flag claims encryption on plain stored data, loaders that ignore the flag (PyTorch) still read it, and so did the scanner.',
  },
  'archive-unsupported-method': {
    severity: 'medium',
    impact: 'suspicious',
    title: 'Archive member uses a compression method or filter the scanner does not read',
    help: 'The member was not analysed. Repack the archive with a common method (zip: stored or deflate; 7z: LZMA or LZMA2).',
  },
  'archive-malformed': {
    severity: 'medium',
    impact: 'suspicious',
    title: 'Archive structure is malformed',
    help: 'Readers disagree on malformed archives, and attackers use that to show a scanner one thing and a loader another. The readable parts were scanned.',
  },
  'zip-name-mismatch': {
    severity: 'medium',
    impact: 'suspicious',
    title: 'Zip member has different names in its local header and the central directory',
    help: 'Python zipfile rejects the member while PyTorch loads it by its directory name, the trick of CVE-2025-1944. Legitimate writers never do this.',
  },
  'zip-crc-mismatch': {
    severity: 'medium',
    impact: 'suspicious',
    title: 'Zip member does not match its CRC',
    help: 'Python zipfile refuses the member while PyTorch reads it anyway (CVE-2025-10156): a way to blind scanners. It was scanned as PyTorch reads it.',
  },
  'zip-duplicate-name': {
    severity: 'medium',
    impact: 'suspicious',
    title: 'Two zip members have the same name',
    help: 'Loaders pick different copies of a duplicated name; both were scanned.',
  },
  'zip-overlapping-members': {
    severity: 'high',
    impact: 'unsafe',
    title: 'Zip members overlap',
    help: 'Members that share bytes are the construction of non-recursive zip bombs and of scanner evasion. Legitimate writers never overlap members.',
  },
  'archive-prefix-data': {
    severity: 'low',
    impact: 'note',
    title: 'Bytes precede the archive',
    help: 'The archive starts after a prefix (a stub or junk). Loaders that tolerate a prefix read it anyway; the archive was scanned as they read it.',
  },
});

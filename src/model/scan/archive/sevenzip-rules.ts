import { defineRules } from '../rule.js';

/** Rules of the 7z reader and the LZMA decoders. */
export const SEVENZIP_RULES = defineRules({
  'sevenzip-encrypted': {
    severity: 'medium',
    impact: 'suspicious',
    title: '7z archive is encrypted',
    help: 'Encrypted members (or an encrypted header, which also hides the file names) cannot be analysed. A model shipped in a password-protected archive deserves a manual review before anyone unpacks it.',
  },
  'sevenzip-path-traversal': {
    severity: 'high',
    impact: 'unsafe',
    title: '7z member name escapes the extraction folder',
    help: "A member named with '..', an absolute path, a drive letter or backslash tricks writes outside the folder it is unpacked into. Never extract this archive.",
  },
  'sevenzip-symlink': {
    severity: 'medium',
    impact: 'suspicious',
    title: '7z archive contains a symbolic link',
    help: 'Extracting a link lets a loader read, or later members write, a file other than the one named. Model archives have no reason to carry links.',
  },
  'sevenzip-symlink-escape': {
    severity: 'high',
    impact: 'unsafe',
    title: '7z symbolic link points outside the extraction folder',
    help: 'The link target is absolute or climbs out with `..`: once extracted, reading or writing through it reaches files such as SSH keys or shell profiles. Never extract this archive.',
  },
  'sevenzip-anti-item': {
    severity: 'low',
    impact: 'suspicious',
    title: '7z archive contains an anti-item (a deletion marker)',
    help: 'Anti-items tell 7-Zip to delete a file when the archive is extracted over an existing folder. They belong to update archives, not to models.',
  },
  'sevenzip-unsupported-coder': {
    severity: 'medium',
    impact: 'suspicious',
    title: '7z folder uses a method the scanner does not decode',
    help: 'Members compressed with this method (or chain of methods) were not analysed. Repack the archive with LZMA, LZMA2, Deflate or Copy, or unpack it and scan the files.',
  },
  'sevenzip-bomb': {
    severity: 'high',
    impact: 'unsafe',
    title: '7z archive expands far beyond its size (decompression bomb)',
    help: 'A folder declares far more bytes than it occupies, or decoding spent the decompression budget. Unpacking it exhausts memory or disk.',
  },
  'sevenzip-member-too-large': {
    severity: 'medium',
    impact: 'suspicious',
    title: '7z member too large to analyse in memory',
    help: 'The member is larger than the in-memory limit and was not analysed. Raise the scan limits, or unpack the archive and scan the file itself.',
  },
  'sevenzip-corrupt': {
    severity: 'medium',
    impact: 'suspicious',
    title: '7z archive is truncated or corrupt',
    help: 'Part of the archive could not be read (a CRC mismatch, a header out of bounds, data that does not decode), so what it holds was not fully analysed. Readers disagree on damaged archives; treat it as unverified.',
  },
});

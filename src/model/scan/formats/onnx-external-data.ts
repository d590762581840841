import { printable } from './capped-reporter.js';

/*
 * Checks of TensorProto.external_data (onnx.proto: StringStringEntryProto keys `location`, `offset`, `length`,
 * `checksum`). onnx and ONNX Runtime join `location` to the model's folder and read `length` bytes at `offset`.
 */

const INT64_MAX = (1n << 63n) - 1n;

/** Why an external-data `location` escapes the model folder; empty when it is a plain relative path. */
export function unsafeLocationReasons(location: string): string[] {
  const why: string[] = [];
  if (location.includes('\0')) why.push('contains a NUL byte');
  if (/^[A-Za-z]:/.test(location)) why.push('names a drive');
  else if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(location)) why.push('has a URL scheme');
  if (location.startsWith('/') || location.startsWith('\\')) why.push('is an absolute path');
  if (location.includes('\\')) why.push('uses a backslash (a path separator on Windows)');
  if (location.split(/[\\/]/).includes('..')) why.push("climbs out of the model folder with '..'");
  return why;
}

/** Describes an invalid external-data offset/length pair, or undefined when both are absent or valid. */
export function badRange(offset: string | undefined, length: string | undefined): string | undefined {
  const o = parseInt64(offset);
  const l = parseInt64(length);
  if (o === 'bad') return `offset '${printable(offset ?? '')}' that is not a non-negative 64-bit integer`;
  if (l === 'bad') return `length '${printable(length ?? '')}' that is not a non-negative 64-bit integer`;
  if (o !== undefined && l !== undefined && o + l > INT64_MAX) return `offset ${o} + length ${l} that overflows 64 bits`;
  return undefined;
}

function parseInt64(s: string | undefined): bigint | undefined | 'bad' {
  if (s === undefined) return undefined;
  // Exporters write str(int): plain decimal digits. Signs, spaces and hex are accepted by some loaders, not written.
  if (!/^[0-9]{1,20}$/.test(s)) return 'bad';
  const v = BigInt(s);
  return v > INT64_MAX ? 'bad' : v;
}

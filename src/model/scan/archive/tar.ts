import { SliceBlob, type Blob } from '../blob.js';
import type { ScanContext } from '../context.js';
import { isTarHeader, parseOctal } from '../detect.js';
import type { ScanFormat } from '../types.js';
import { escapingPath, linkEscape } from './member-path.js';
import { scanTorchLegacyTar, type TarMember } from './torch-legacy-tar.js';

/** Members of torch's pre-1.6 tar layout (torch/serialization.py `_legacy_load`). */
const TORCH_TAR = ['sys_info', 'pickle', 'storages', 'tensors'];

/**
 * Walks a tar archive header by header (POSIX ustar, GNU long names, pax `path`), handing each regular file to
 * format detection as a window of the archive (no copy), and reporting traversal names and links.
 */
export async function scanTar(blob: Blob, ctx: ScanContext): Promise<ScanFormat> {
  const files: TarMember[] = [];
  let pos = 0;
  let longName: string | undefined;
  let members = 0;
  while (pos + 512 <= blob.size) {
    const h = await blob.read(pos, 512);
    if (h.every((b) => b === 0)) break;
    if (!isTarHeader(h)) {
      ctx.report('archive-malformed', `tar header at offset ${pos} has a bad checksum; the rest was not read`, { offset: pos });
      break;
    }
    const size = tarSize(h.subarray(124, 136));
    if (size === undefined || pos + 512 + size > blob.size) {
      ctx.report('archive-malformed', `tar member at offset ${pos} declares a size beyond the file`, { offset: pos });
      break;
    }
    const type = String.fromCharCode(h[156]!);
    const dataAt = pos + 512;
    pos = dataAt + Math.ceil(size / 512) * 512;
    if (type === 'L' || type === 'x') {
      const meta = new TextDecoder().decode(await blob.read(dataAt, Math.min(size, 64 * 1024)));
      longName = type === 'L' ? meta.replace(/\0.*$/s, '') : (/(?:^|\n)\d+ path=([^\n]*)\n/.exec(meta)?.[1] ?? longName);
      continue;
    }
    if (type === 'g' || type === 'K') continue;
    const name = longName ?? headerName(h);
    longName = undefined;
    if (++members > ctx.limits.maxMembers) {
      ctx.report('scan-incomplete', `tar has more than ${ctx.limits.maxMembers} members; the rest were not scanned`);
      break;
    }
    const esc = escapingPath(name);
    const member = ctx.memberPath(name);
    if (esc !== undefined) ctx.report('archive-path-traversal', `tar member '${name}' ${esc}`, { member });
    if (type === '1' || type === '2') {
      const target = cString(h.subarray(157, 257));
      // Hard link targets name archive members (from the archive root); symlink targets resolve from the link's folder.
      const out = type === '2' ? linkEscape(name, target) : escapingPath(target);
      const kind = type === '2' ? 'symbolic' : 'hard';
      if (out !== undefined) ctx.report('archive-path-traversal', `tar member '${name}' is a ${kind} link to '${target}', which ${out}`, { member });
      else ctx.report('archive-symlink', `tar member '${name}' is a ${kind} link to '${target}'`, { member });
      continue;
    }
    if (type !== '0' && type !== '\0' && type !== '7') continue;
    files.push({ name, data: new SliceBlob(blob, dataAt, size) });
  }
  const byName = new Map(files.map((f) => [f.name.replace(/^\.\//, ''), f]));
  if (TORCH_TAR.every((n) => byName.has(n))) {
    await scanTorchLegacyTar(byName, files, ctx);
    return 'pytorch-legacy-tar';
  }
  for (const f of files) await ctx.scanMember(f.name, f.data);
  return 'tar';
}

function headerName(h: Uint8Array): string {
  const name = cString(h.subarray(0, 100));
  const ustar = cString(h.subarray(257, 263)).startsWith('ustar');
  const prefix = ustar ? cString(h.subarray(345, 500)) : '';
  return prefix === '' ? name : `${prefix}/${name}`;
}

function cString(b: Uint8Array): string {
  const end = b.indexOf(0);
  return new TextDecoder().decode(end < 0 ? b : b.subarray(0, end));
}

/** Octal, or GNU base-256 (high bit of the first byte) for sizes of 8 GiB and more. */
function tarSize(f: Uint8Array): number | undefined {
  if ((f[0]! & 0x80) !== 0) {
    let v = f[0]! & 0x7f;
    for (let i = 1; i < f.length; i++) v = v * 256 + f[i]!;
    return Number.isSafeInteger(v) ? v : undefined;
  }
  return parseOctal(f);
}

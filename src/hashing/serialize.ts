import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { HashingError } from './errors.js';
import { compareSpans } from './order.js';
import { CHUNK_BYTES, hashAll, type HashResult, type HashTask } from './pool.js';
import { listModel, type Listing, type ListOptions } from './walk.js';

/** OMS hash identifiers this engine computes (BLAKE3 needs a native or WASM library slower than SHA-NI here). */
export const HASH_TYPES = { sha256: 'sha256', blake2b: 'blake2b512' } as const;
export type HashType = keyof typeof HASH_TYPES;
export type Method = 'files' | 'shards';

/** OMS default shard size: 10^9 bytes (not GiB), as the reference uses. */
export const DEFAULT_SHARD_SIZE = 1_000_000_000;

/**
 * Most shards one serialization makes (OMS statements are read with the same bound): a signature with a tiny
 * shard size must not make the verifier allocate billions of tasks.
 */
export const MAX_SHARDS = 1_000_000;

/** Below this many bytes in all, hashing stays in this thread: starting threads would cost more than it saves. */
const IN_THREAD_BYTES = 8 << 20;

/** How a model was serialized: exactly what an OMS predicate's `serialization` records. */
export interface SerializationParams {
  method: Method;
  hashType: HashType;
  /** Shards only. */
  shardSize?: number;
  allowSymlinks: boolean;
  ignorePaths: string[];
}

/** One manifest entry, as an OMS predicate lists it. */
export interface Resource {
  /** `path` (files) or `path:start:end` (shards). */
  name: string;
  algorithm: string;
  /** Lower-case hex. */
  digest: string;
}

export interface Serialized {
  listing: Listing;
  params: SerializationParams;
  resources: Resource[];
  /** SHA-256 over the concatenated raw resource digests, in resource order (whatever the hash type). */
  rootDigest: string;
  bytes: number;
}

export interface SerializeOptions extends ListOptions {
  method?: Method;
  hashType?: HashType;
  shardSize?: number;
  /** Hashing threads (default: one per core). */
  threads?: number;
  /** Called once the model is listed, with the bytes to hash. */
  onListed?: (bytes: number, files: number) => void;
  /** Called as bytes are hashed (in steps of up to 64 MiB per thread). */
  onBytes?: (bytes: number) => void;
}

/** SHA-256 of the concatenated raw digests (OMS §5: the statement's subject digest). */
export function rootDigest(resources: readonly Resource[]): string {
  const h = createHash('sha256');
  for (const r of resources) h.update(Buffer.from(r.digest, 'hex'));
  return h.digest('hex');
}

/**
 * Serializes a model folder or file as OMS `files` or `shards`: lists it, hashes every file (or every shard of every
 * file) in parallel, orders the resources as the reference implementation does and computes the root digest.
 */
export async function serializeModel(target: string, options: SerializeOptions = {}): Promise<Serialized> {
  const method = options.method ?? 'files';
  const hashType = options.hashType ?? 'sha256';
  if (!(hashType in HASH_TYPES)) throw new HashingError('HASHING_OPTION_INVALID', `hash type '${String(hashType)}' is not supported: use sha256 or blake2b`);
  const shardSize = options.shardSize ?? DEFAULT_SHARD_SIZE;
  if (method === 'shards' && (!Number.isSafeInteger(shardSize) || shardSize < 1)) throw new HashingError('HASHING_OPTION_INVALID', `shard size must be a whole number of bytes above 0, not ${shardSize}`);
  const listing = await listModel(target, options);
  const algorithm = HASH_TYPES[hashType];

  if (method === 'shards') {
    const shards = listing.files.reduce((n, f) => n + Math.ceil(f.size / shardSize), 0);
    if (shards > MAX_SHARDS) throw new HashingError('HASHING_OPTION_INVALID', `a shard size of ${shardSize} bytes cuts this model into ${shards} shards, more than the ${MAX_SHARDS} allowed: use larger shards`);
  }
  const spans: { path: string; start?: number; end?: number; task: HashTask }[] = [];
  for (const f of listing.files) {
    if (method === 'files') spans.push({ path: f.name, task: { path: f.path, start: 0, end: f.size, whole: true, algorithm } });
    // OMS §6.2: shards are [k·size, min((k+1)·size, file size)); an empty file has none.
    else for (let s = 0; s < f.size; s += shardSize) spans.push({ path: f.name, start: s, end: Math.min(s + shardSize, f.size), task: { path: f.path, start: s, end: Math.min(s + shardSize, f.size), algorithm } });
  }
  spans.sort(compareSpans);
  const bytes = listing.files.reduce((a, f) => a + f.size, 0);
  options.onListed?.(bytes, listing.files.length);
  const tasks = spans.map((s) => s.task);
  const threads = options.threads ?? availableParallelism();
  const hashed = bytes < IN_THREAD_BYTES || threads <= 1 ? await hashInThread(tasks, options.onBytes) : await hashAll(tasks, threads, options.onBytes);
  const resources = spans.map((s, i) => ({ name: s.start === undefined ? s.path : `${s.path}:${s.start}:${s.end}`, algorithm: hashType, digest: hashed[i]!.digest }));
  const params: SerializationParams = { method, hashType, ...(method === 'shards' ? { shardSize } : {}), allowSymlinks: options.allowSymlinks === true, ignorePaths: listing.ignorePaths };
  return { listing, params, resources, rootDigest: rootDigest(resources), bytes };
}

/** Small models: the same reads, one task after another, in this thread. */
async function hashInThread(tasks: readonly HashTask[], onBytes?: (bytes: number) => void): Promise<HashResult[]> {
  const out: HashResult[] = [];
  const buf = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, IN_THREAD_BYTES));
  for (const t of tasks) {
    let fh;
    try {
      fh = await open(t.path, 'r');
      const h = createHash(t.algorithm);
      let pos = t.start;
      while (t.whole === true || pos < t.end) {
        const { bytesRead } = await fh.read(buf, 0, t.whole === true ? buf.length : Math.min(buf.length, t.end - pos), pos);
        if (bytesRead === 0) {
          if (t.whole === true) break;
          throw new HashingError('HASHING_FILE_CHANGED', `${t.path} became shorter while it was being hashed: hash it again once nothing writes to it`);
        }
        h.update(buf.subarray(0, bytesRead));
        pos += bytesRead;
      }
      onBytes?.(pos - t.start);
      out.push({ digest: h.digest('hex'), bytes: pos - t.start });
    } catch (err) {
      if (err instanceof HashingError) throw err;
      throw new HashingError('HASHING_READ_FAILED', `cannot read ${t.path}: ${(err as Error).message}`, { cause: err });
    } finally {
      await fh?.close();
    }
  }
  return out;
}
